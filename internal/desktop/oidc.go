package desktop

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"
)

// OIDC is the production sign-in: OpenID Connect's authorization code flow
// with PKCE. An agent signs in as the agent of the served directories whose
// login equals the ID token's email, which the provider must have verified.
type OIDC struct {
	Issuer       string // the provider's issuer URL, where its discovery document is
	ClientID     string
	ClientSecret string
	RedirectURL  string // this desktop's /signin/callback, as the provider knows it

	mu       sync.Mutex
	provider *oidc.Provider // discovered at the first sign-in, not at start-up
}

// loginCookie carries one sign-in attempt from /signin to the callback:
// its state, nonce and PKCE verifier, signed like the session, for 10 minutes.
const (
	loginCookie  = "__Host-desktop-login"
	loginTimeout = 10 * time.Minute
)

type loginAttempt struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"`
	Started  time.Time `json:"t"`
}

func (o *OIDC) config(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider == nil {
		p, err := oidc.NewProvider(ctx, o.Issuer)
		if err != nil {
			return nil, nil, err
		}
		o.provider = p
	}
	cfg := &oauth2.Config{
		ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: o.RedirectURL,
		Endpoint: o.provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email"},
	}
	return cfg, o.provider.Verifier(&oidc.Config{ClientID: o.ClientID}), nil
}

// oidcSignin sends the browser to the provider, remembering the attempt.
func (s *Server) oidcSignin(w http.ResponseWriter, r *http.Request) {
	cfg, _, err := s.OIDC.config(r.Context())
	if err != nil {
		s.Log.Warn("OpenID Connect provider unavailable", zap.Error(err))
		http.Error(w, "sign-in is unavailable: the identity provider does not answer, try again", http.StatusServiceUnavailable)
		return
	}
	attempt := loginAttempt{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(), Started: s.sessions.now()}
	data, _ := json.Marshal(attempt)
	http.SetCookie(w, &http.Cookie{
		Name: loginCookie, Value: s.sessions.seal(data), Path: "/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(loginTimeout / time.Second),
	})
	http.Redirect(w, r, cfg.AuthCodeURL(attempt.State, oidc.Nonce(attempt.Nonce), oauth2.S256ChallengeOption(attempt.Verifier)), http.StatusFound)
}

// oidcCallback ends the attempt: the state must be this browser's, the code
// is exchanged with the PKCE verifier, the ID token must be the provider's,
// for this client, with this attempt's nonce and a verified email that is an
// agent's login. The session cookie is new (rotated at sign-in).
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	attempt, err := s.readAttempt(r)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	if err != nil {
		http.Error(w, "this sign-in is not the one this browser started, or it took over 10 minutes: sign in again", http.StatusBadRequest)
		return
	}
	if e := r.FormValue("error"); e != "" {
		http.Error(w, "the identity provider refused the sign-in: "+e, http.StatusForbidden)
		return
	}
	email, err := s.verifiedEmail(r.Context(), r.FormValue("code"), attempt)
	if err != nil {
		s.Log.Warn("OpenID Connect sign-in refused", zap.Error(err))
		http.Error(w, "sign-in refused: the identity provider's answer could not be verified", http.StatusForbidden)
		return
	}
	tenant, agent, err := s.agentByLogin(r.Context(), email)
	if err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	s.sessions.write(w, session{Tenant: tenant, Agent: agent, Signed: s.sessions.now()})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) readAttempt(r *http.Request) (loginAttempt, error) {
	var a loginAttempt
	c, err := r.Cookie(loginCookie)
	if err != nil {
		return a, err
	}
	data, err := s.sessions.open(c.Value)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, err
	}
	if a.State == "" || r.FormValue("state") != a.State || s.sessions.now().Sub(a.Started) > loginTimeout {
		return a, errors.New("state mismatch or attempt expired")
	}
	return a, nil
}

func (s *Server) verifiedEmail(ctx context.Context, code string, a loginAttempt) (string, error) {
	cfg, verifier, err := s.OIDC.config(ctx)
	if err != nil {
		return "", err
	}
	token, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		return "", err
	}
	raw, ok := token.Extra("id_token").(string)
	if !ok {
		return "", errors.New("no id_token in the token response")
	}
	id, err := verifier.Verify(ctx, raw)
	if err != nil {
		return "", err
	}
	if id.Nonce != a.Nonce {
		return "", errors.New("the ID token's nonce is not this attempt's")
	}
	var claims struct {
		Email    string `json:"email"`
		Verified bool   `json:"email_verified"`
	}
	if err := id.Claims(&claims); err != nil {
		return "", err
	}
	if claims.Email == "" || !claims.Verified {
		return "", errors.New("the ID token has no verified email")
	}
	return claims.Email, nil
}

// agentByLogin finds the one agent of the served tenants with this login.
func (s *Server) agentByLogin(ctx context.Context, email string) (tenant, agent string, err error) {
	dirs, err := s.Client.Directories(ctx)
	if err != nil {
		return "", "", err
	}
	var found []string
	for t, d := range dirs {
		if a, ok := d.AgentByLogin(email); ok {
			tenant, agent = t, a.ID
			found = append(found, t)
		}
	}
	sort.Strings(found)
	switch len(found) {
	case 0:
		return "", "", errors.New("no agent signs in as " + email + ": ask your administrator to set it as your login")
	case 1:
		return tenant, agent, nil
	}
	return "", "", errors.New("agents of several tenants (" + strings.Join(found, ", ") + ") sign in as " + email + ": ask your administrator")
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
