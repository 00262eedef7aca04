package tests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"outbound/internal/api"
	"outbound/internal/conversations"
	"outbound/internal/desktop"
)

// desk is a desktop served over HTTP against the shared service.
type desk struct {
	t   *testing.T
	url string
}

func startDesk(t *testing.T, dev bool) *desk {
	t.Helper()
	h, err := (&desktop.Server{
		Client: &conversations.Client{Temporal: env.Temporal, IDKey: env.Key, Archive: env.Archive},
		Key:    []byte(desktop.DevSessionKey), Dev: dev, Log: zaptest.NewLogger(t),
	}).Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &desk{t: t, url: srv.URL}
}

// do sends one request as a browser on the desktop's own page would (no
// redirects followed) and returns the status, the body and the cookie set.
func (d *desk) do(method, path, cookie string, form url.Values, headers ...string) (int, string, string) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		d.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		d.t.Errorf("%s %s: Content-Security-Policy %q", method, path, csp)
	}
	set := ""
	for _, c := range resp.Cookies() {
		set = c.Name + "=" + c.Value
	}
	return resp.StatusCode, string(body), set
}

// signIn uses the dev sign-in and returns the session cookie.
func (d *desk) signIn(tenant, agent string) string {
	d.t.Helper()
	status, _, cookie := d.do("POST", "/signin", "", url.Values{"agent": {tenant + "/" + agent}})
	if status != http.StatusSeeOther || !strings.HasPrefix(cookie, "__Host-") {
		d.t.Fatalf("sign-in as %s: %d, cookie %q", agent, status, cookie)
	}
	return cookie
}

var inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)

// The dev sign-in lists the tenant's agents; a signed-in agent sees its name,
// a State control and its own conversations in the task list, never another
// agent's; every page carries the CSP and no inline script.
func TestDesktopSignInAndTaskList(t *testing.T) {
	c := env.Tenant(t)
	d := startDesk(t, true)
	mine := startSMS(t, c, "alice", newPhone())
	theirs := startSMS(t, c, "bob", newPhone())

	_, page, _ := d.do("GET", "/signin", "", nil)
	if !strings.Contains(page, `value="`+c.Tenant+`/alice"`) || !strings.Contains(page, ">Agent</label>") || !strings.Contains(page, ">Sign in</button>") {
		t.Fatalf("the dev sign-in page lacks the agent choice or its labels:\n%s", page)
	}
	cookie := d.signIn(c.Tenant, "alice")
	status, home, _ := d.do("GET", "/", cookie, nil)
	if status != http.StatusOK {
		t.Fatalf("home: %d", status)
	}
	for _, want := range []string{">Alice<", `<label for="state">State</label>`, ">Available<", ">Idle<", ">Sign out<", mine} {
		if !strings.Contains(home, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	if strings.Contains(home, theirs) {
		t.Error("alice's task list shows bob's conversation")
	}
	for _, p := range []string{page, home} {
		if inlineScript.MatchString(p) {
			t.Errorf("a page has an inline script:\n%s", p)
		}
	}
}

// Without a session, or with a forged one, the desktop shows nothing but
// the way to sign in.
func TestDesktopRefusesWithoutASession(t *testing.T) {
	c := env.Tenant(t)
	d := startDesk(t, true)
	cookie := d.signIn(c.Tenant, "alice")
	forged := strings.Replace(cookie, "=ey", "=eX", 1)
	for _, ck := range []string{"", forged, cookie + "x"} {
		if status, _, _ := d.do("GET", "/", ck, nil); status != http.StatusSeeOther {
			t.Errorf("home with cookie %q: %d, want a redirect to sign in", ck, status)
		}
	}
}

// The state control sets the signed-in agent's state; a cross-origin POST
// (another site's form) is refused and changes nothing.
func TestDesktopStateIsSameOriginOnly(t *testing.T) {
	c := env.Tenant(t)
	d := startDesk(t, true)
	cookie := d.signIn(c.Tenant, "carol")
	if status, _, _ := d.do("POST", "/state", cookie, url.Values{"state": {"idle"}}, "Sec-Fetch-Site", "cross-site"); status != http.StatusForbidden {
		t.Fatalf("cross-origin state change: %d, want 403", status)
	}
	if state, _ := agentInUse(t, c, "carol"); state != api.AgentAvailable {
		t.Fatalf("a refused request changed carol's state to %s", state)
	}
	if status, _, _ := d.do("POST", "/state", cookie, url.Values{"state": {"idle"}}, "Sec-Fetch-Site", "same-origin"); status != http.StatusSeeOther {
		t.Fatalf("state change: %d", status)
	}
	if state, _ := agentInUse(t, c, "carol"); state != api.AgentIdle {
		t.Fatalf("carol is %s, want idle", state)
	}
}

// The dev sign-in exists only in --dev; the catalog follows Accept-Language.
func TestDesktopDevSignInOnlyInDevAndTurkish(t *testing.T) {
	c := env.Tenant(t)
	if status, _, _ := startDesk(t, false).do("GET", "/signin", "", nil); status != http.StatusNotFound {
		t.Fatalf("dev sign-in outside --dev: %d, want 404", status)
	}
	d := startDesk(t, true)
	_, home, _ := d.do("GET", "/", d.signIn(c.Tenant, "alice"), nil, "Accept-Language", "tr-TR,tr;q=0.9")
	for _, want := range []string{`lang="tr"`, ">Durum<", ">Uygun<", ">Oturumu kapat<"} {
		if !strings.Contains(home, want) {
			t.Errorf("the Turkish page lacks %q", want)
		}
	}
}
