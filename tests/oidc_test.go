package tests

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"go.uber.org/zap/zaptest"

	"outbound/internal/conversations"
	"outbound/internal/desktop"
)

// oidcProvider is an OpenID Connect provider in the test process: discovery,
// keys, an authorization endpoint that signs in whoever the test says
// (user) without asking, and a token endpoint that checks the client's
// secret and the PKCE verifier before it issues a signed ID token.
type oidcProvider struct {
	t      *testing.T
	srv    *httptest.Server
	signer jose.Signer
	keys   jose.JSONWebKeySet

	mu     sync.Mutex
	user   map[string]any            // the claims of whoever signs in next
	grants map[string]map[string]any // code → challenge, nonce, redirect, claims
}

const (
	oidcClientID = "agent-desktop"
	oidcSecret   = "desktop-client-secret"
)

func startOIDCProvider(t *testing.T) *oidcProvider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	p := &oidcProvider{t: t, signer: signer, grants: map[string]map[string]any{},
		keys: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token",
			"jwks_uri": p.srv.URL + "/keys", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, p.keys) })
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *oidcProvider) signInNext(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = claims
}

func (p *oidcProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != oidcClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "bad authorization request (PKCE S256 required)", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	code := randomID()
	p.grants[code] = map[string]any{"challenge": q.Get("code_challenge"), "nonce": q.Get("nonce"), "redirect": q.Get("redirect_uri"), "claims": p.user}
	p.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *oidcProvider) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	p.mu.Lock()
	grant := p.grants[r.PostFormValue("code")]
	delete(p.grants, r.PostFormValue("code")) // a code is good once
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	switch {
	case id != oidcClientID || secret != oidcSecret:
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	case grant == nil || grant["redirect"] != r.PostFormValue("redirect_uri"):
		http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != grant["challenge"]:
		http.Error(w, `{"error":"invalid_grant","error_description":"PKCE verifier"}`, http.StatusBadRequest)
		return
	}
	now := time.Now()
	claims := map[string]any{"iss": p.srv.URL, "aud": oidcClientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": grant["nonce"]}
	for k, v := range grant["claims"].(map[string]any) {
		claims[k] = v
	}
	payload, _ := json.Marshal(claims)
	jws, err := p.signer.Sign(payload)
	if err != nil {
		p.t.Error(err)
		return
	}
	idToken, _ := jws.CompactSerialize()
	writeJSON(w, map[string]any{"access_token": randomID(), "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// startOIDCDesk serves a production desktop (no dev sign-in) that signs
// agents in through the provider.
func startOIDCDesk(t *testing.T, p *oidcProvider) *desk {
	t.Helper()
	d := &desk{t: t}
	srv := httptest.NewUnstartedServer(nil)
	d.url = "http://" + srv.Listener.Addr().String()
	s := &desktop.Server{
		Client: &conversations.Client{Temporal: env.Temporal, IDKey: env.Key, Archive: env.Archive},
		Key:    deskKey, Log: zaptest.NewLogger(t),
		OIDC: &desktop.OIDC{Issuer: p.srv.URL, ClientID: oidcClientID, ClientSecret: oidcSecret, RedirectURL: d.url + "/signin/callback"},
	}
	h, err := s.Handler()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return d
}

// oidcSignIn follows the sign-in as a browser would: the desktop sends it
// to the provider, the provider back with a code; it returns the callback's
// status, body and session cookie.
func (d *desk) oidcSignIn(p *oidcProvider, claims map[string]any) (int, string, string) {
	d.t.Helper()
	p.signInNext(claims)
	status, _, login, location := d.redirect("/signin", "")
	if status != http.StatusFound || !strings.HasPrefix(location, p.srv.URL+"/authorize?") || !strings.HasPrefix(login, "__Host-desktop-login=") {
		d.t.Fatalf("sign-in: %d to %q with cookie %q, want the provider's authorization endpoint", status, location, login)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(location)
	if err != nil {
		d.t.Fatal(err)
	}
	resp.Body.Close()
	back := resp.Header.Get("Location")
	if !strings.HasPrefix(back, d.url+"/signin/callback?") {
		d.t.Fatalf("the provider answered %d to %q", resp.StatusCode, back)
	}
	return d.do("GET", strings.TrimPrefix(back, d.url), login, nil)
}

// redirect GETs path and returns the status, body, cookie and Location.
func (d *desk) redirect(path, cookie string) (int, string, string, string) {
	d.t.Helper()
	req, _ := http.NewRequest("GET", d.url+path, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	set := ""
	for _, c := range resp.Cookies() {
		set = c.Name + "=" + c.Value
	}
	return resp.StatusCode, "", set, resp.Header.Get("Location")
}

// OpenID Connect sign-in: the ID token's verified email is an agent's login;
// the session is that agent's. An unknown or unverified email, a callback
// another browser started, and a replayed code sign nobody in; there is no
// dev sign-in page.
func TestDesktopOIDCSignIn(t *testing.T) {
	c := env.Tenant(t)
	p := startOIDCProvider(t)
	d := startOIDCDesk(t, p)
	login := "Alice@" + c.Tenant + ".example" // logins match without regard to case

	status, _, session := d.oidcSignIn(p, map[string]any{"sub": "u-1", "email": login, "email_verified": true})
	if status != http.StatusSeeOther || !strings.HasPrefix(session, "__Host-desktop-session=") {
		t.Fatalf("sign-in as alice: %d, cookie %q", status, session)
	}
	if _, home, _ := d.do("GET", "/", session, nil); !strings.Contains(home, ">Alice<") {
		t.Fatalf("alice's home after the OpenID Connect sign-in:\n%s", home)
	}

	for name, claims := range map[string]map[string]any{
		"unknown email":    {"sub": "u-2", "email": "mallory@" + c.Tenant + ".example", "email_verified": true},
		"unverified email": {"sub": "u-3", "email": login, "email_verified": false},
		"no email":         {"sub": "u-4"},
	} {
		if status, body, cookie := d.oidcSignIn(p, claims); status != http.StatusForbidden || strings.Contains(cookie, "session") {
			t.Errorf("%s: %d %q, cookie %q; want 403 and no session", name, status, body, cookie)
		}
	}

	// A callback this browser did not start (no login cookie, or another state).
	p.signInNext(map[string]any{"sub": "u-1", "email": login, "email_verified": true})
	_, _, loginCookie, location := d.redirect("/signin", "")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(location)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback := strings.TrimPrefix(resp.Header.Get("Location"), d.url)
	if status, _, cookie := d.do("GET", callback, "", nil); status != http.StatusBadRequest || strings.Contains(cookie, "session=") {
		t.Errorf("a callback without this browser's attempt: %d", status)
	}
	forged := strings.Replace(callback, "state=", "state=x", 1)
	if status, _, _ := d.do("GET", forged, loginCookie, nil); status != http.StatusBadRequest {
		t.Errorf("a callback with another state: %d", status)
	}
	if status, _, _ := d.do("GET", callback, loginCookie, nil); status != http.StatusSeeOther {
		t.Errorf("the genuine callback: %d", status)
	}
	if status, _, cookie := d.do("GET", callback, loginCookie, nil); status != http.StatusForbidden || strings.Contains(cookie, "session=") {
		t.Errorf("the same code again: %d, want 403 (a code is good once)", status)
	}

	if status, _, cookie := d.do("POST", "/signin", "", url.Values{"agent": {c.Tenant + "/alice"}}); status == http.StatusSeeOther || strings.Contains(cookie, "session") {
		t.Errorf("the dev sign-in answered %d outside --dev", status)
	}
}

// One address may start 20 sign-ins at once, then one every 3 s: 429
// beyond that, so nobody can hammer the provider through us.
func TestDesktopLimitsSignInsPerAddress(t *testing.T) {
	d := startOIDCDesk(t, startOIDCProvider(t))
	began := time.Now()
	answered := map[int]int{}
	for range 30 {
		status, _, _, _ := d.redirect("/signin", "")
		answered[status]++
	}
	most := 20 + int(time.Since(began)/(3*time.Second)) + 1
	if n := answered[http.StatusFound]; n < 20 || n > most || answered[http.StatusTooManyRequests] != 30-n {
		t.Fatalf("answers %v, want 20 to %d redirects to the provider and the rest 429", answered, most)
	}
}
