// Package desktop serves the Agent Desktop: the page agents work in,
// server-rendered from the workflows' state through the product's client
// (internal/conversations), with a little script of our own. Every action is
// the signed-in agent's; no desktop process keeps state of its own, so
// several can serve one address.
package desktop

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
	"outbound/internal/ratelimit"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFiles embed.FS

// Server is the desktop of every tenant the worker serves.
type Server struct {
	Client *conversations.Client // Temporal, IDKey, Archive; the tenant is the signed-in agent's
	Key    []byte                // signs session cookies: the same in every desktop process
	Dev    bool                  // offer the dev sign-in page (the dev stack only)
	OIDC   *OIDC                 // the production sign-in (when not Dev)
	Log    *zap.Logger

	pages    *template.Template
	sessions *sessions
	changes  *changes
	streams  streams
}

// Close stops following the workflows' changes; the handler's live pages
// hear of none after it.
func (s *Server) Close() {
	if s.changes != nil {
		s.changes.stop()
	}
}

// Handler returns the desktop's routes behind its security headers and
// cross-origin protection (a state-changing request is a same-origin POST).
func (s *Server) Handler() (http.Handler, error) {
	if len(s.Key) < 32 {
		return nil, errors.New("desktop: the session key must be at least 32 bytes")
	}
	if s.Dev == (s.OIDC != nil) {
		return nil, errors.New("desktop: sign-in is either the dev page (the dev stack) or OpenID Connect, one of the two")
	}
	pages, err := template.New("").Funcs(template.FuncMap{"t": text, "clock": clock, "group": group, "pair": pair, "act": act, "rfc3339": rfc3339, "request": uuid.NewString}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s.pages, s.sessions, s.changes = pages, &sessions{key: s.Key, now: time.Now}, newChanges(s.Client.Temporal, s.Log)
	s.streams.byAgent = map[string]int{}
	static, _ := fs.Sub(staticFiles, "static")

	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	// Browsers ask for /favicon.ico whatever the page names.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, static, "icon.svg")
	})
	// Signing in is bounded per client address: 20 at once, then one every
	// 3 s (the dev page has no secret to guess).
	signins := &ratelimit.PerAddress{Rate: rate.Every(signinEvery), Burst: 20}
	if s.Dev {
		mux.HandleFunc("GET /signin", s.signinPage)
		mux.HandleFunc("POST /signin", s.signin)
	} else {
		mux.HandleFunc("GET /signin", limited(signins, s.oidcSignin))
		mux.HandleFunc("GET /signin/callback", limited(signins, s.oidcCallback))
	}
	mux.HandleFunc("POST /signout", s.signout)
	mux.HandleFunc("GET /{$}", s.signedIn(s.home))
	mux.HandleFunc("POST /state", s.signedIn(s.setState))
	mux.HandleFunc("GET /conversation", s.signedIn(s.conversation))
	mux.HandleFunc("GET /message", s.signedIn(s.message))
	mux.HandleFunc("GET /events", s.signedIn(s.events))
	mux.HandleFunc("GET /new", s.signedIn(s.newConversation))
	mux.HandleFunc("POST /new", s.signedIn(s.start))
	mux.HandleFunc("POST /send", s.signedIn(s.send))
	mux.HandleFunc("GET /transfer", s.signedIn(s.transferPage))
	mux.HandleFunc("POST /transfer", s.signedIn(s.transfer))
	mux.HandleFunc("POST /accept", s.signedIn(s.act(accept)))
	mux.HandleFunc("POST /decline", s.signedIn(s.act(decline)))
	mux.HandleFunc("POST /trigger", s.signedIn(s.trigger))
	mux.HandleFunc("GET /close", s.signedIn(s.closeDialog))
	mux.HandleFunc("POST /close", s.signedIn(s.act(closeConversation)))
	mux.HandleFunc("POST /wrapup", s.signedIn(s.act(wrapUp)))
	handler := secureHeaders(rememberLang(http.NewCrossOriginProtection().Handler(mux)))
	if s.Dev {
		handler = loopbackOnly(handler)
	}
	return handler, nil
}

// loopbackOnly answers only requests for a loopback host name: the dev
// sign-in has no password, and a page of another site whose name resolves
// to 127.0.0.1 (DNS rebinding) would otherwise reach it as same-origin.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			http.Error(w, "the dev desktop answers on localhost only", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows no inline script and nothing from elsewhere.
// A customer's email HTML (sanitised when it arrived) shows in a sandboxed
// srcdoc frame, which inherits this policy: no script, nothing remote.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'"

func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// agentRequest is a request of a signed-in agent.
type agentRequest struct {
	session
	lang   string
	client *conversations.Client
}

// signedIn passes a signed-in agent's request on, sliding its idle timeout;
// anyone else goes to the sign-in page.
func (s *Server) signedIn(handle func(http.ResponseWriter, *http.Request, agentRequest)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss, err := s.sessions.read(r)
		if err != nil {
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		s.sessions.write(w, ss)
		c := *s.Client
		c.Tenant = ss.Tenant
		handle(w, r, agentRequest{session: ss, lang: lang(r), client: &c})
	}
}

func (s *Server) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.pages.ExecuteTemplate(w, name, data); err != nil {
		s.Log.Error("desktop page not rendered", zap.String("page", name), zap.Error(err))
	}
}

// fail answers an error: a refusal with its docs/rules.md §5 code, anything else as
// unavailable (logged, not shown: it may name internals).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if code, _, ok := codes.Of(err); ok {
		http.Error(w, refusal(lang(r), code), http.StatusUnprocessableEntity)
		return
	}
	s.Log.Warn("desktop request failed", zap.Error(err))
	http.Error(w, text(lang(r), "unavailable"), http.StatusServiceUnavailable)
}

// agentState reads the signed-in agent's workflow state.
func agentState(ctx context.Context, a agentRequest) (api.AgentState, error) {
	dir, err := a.client.Directory(ctx)
	if err != nil {
		return api.AgentState{}, err
	}
	cfg, err := api.AgentConfigFrom(&dir, a.Agent)
	if err != nil {
		return api.AgentState{}, err
	}
	return api.GetAgent(ctx, a.client.Temporal, cfg)
}

func clock(t time.Time) string { return t.Local().Format("15:04:05") }

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// taskGroup is one titled list of the task pane; Current is the
// conversation on screen, which the list marks.
type taskGroup struct {
	Lang, Title, Current string
	Tasks                []task
}

func group(lang, title, current string, tasks []task) taskGroup {
	return taskGroup{lang, title, current, tasks}
}

// messageView is one message of a transcript, in a language.
type messageView struct {
	Lang string
	Conv string // the conversation holding Msg; "" for an earlier conversation's
	Msg  model.Message
}

func pair(lang, conv string, m model.Message) messageView { return messageView{lang, conv, m} }

// actionView is a one-button form acting on a conversation.
type actionView struct {
	Lang, ID, Request, Path, Label string
}

func act(lang, id, request, path, label string) actionView {
	return actionView{lang, id, request, path, label}
}

// signinEvery is how often one client address may sign in after a burst.
const signinEvery = 3 * time.Second

// limited refuses a client address past its bucket with 429.
func limited(l *ratelimit.PerAddress, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !l.Allow(ratelimit.ClientAddress(r)) {
			ratelimit.TooMany(w, signinEvery)
			return
		}
		h(w, r)
	}
}
