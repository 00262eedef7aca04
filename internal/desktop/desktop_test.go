package desktop

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"outbound/internal/codes"
)

// Every string exists in every language.
func TestCatalogsHaveTheSameKeys(t *testing.T) {
	for lang, cat := range catalogs {
		for key := range catalogs["en"] {
			if cat[key] == "" {
				t.Errorf("%s lacks %q", lang, key)
			}
		}
		for key := range cat {
			if catalogs["en"][key] == "" {
				t.Errorf("%s has %q, which English lacks", lang, key)
			}
		}
	}
}

// Every §5 refusal reads in every language: a Turkish agent is never shown
// the server's English message.
func TestEveryRefusalIsInTheCatalog(t *testing.T) {
	for lang, cat := range catalogs {
		for _, code := range codes.All() {
			if cat["refusal."+string(code)] == "" {
				t.Errorf("%s lacks the refusal %s", lang, code)
			}
		}
	}
}

// A session ends after idleTimeout without a request and absoluteTimeout
// after sign-in, whatever the requests; each request slides the first.
func TestSessionTimeouts(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	s := &sessions{key: []byte("a test session key of 32 bytes or more"), now: func() time.Time { return now }}
	cookie := func(ss session) *http.Request {
		w := httptest.NewRecorder()
		s.write(w, ss)
		r := httptest.NewRequest("GET", "/", nil)
		for _, c := range w.Result().Cookies() {
			r.AddCookie(c)
		}
		return r
	}
	signedIn := session{Tenant: "acme", Agent: "alice", Signed: now}
	r := cookie(signedIn)
	now = now.Add(idleTimeout - time.Second)
	if _, err := s.read(r); err != nil {
		t.Fatalf("within the idle timeout: %v", err)
	}
	r = cookie(signedIn) // a request slides it
	now = now.Add(idleTimeout - time.Second)
	if _, err := s.read(r); err != nil {
		t.Fatalf("a request should have slid the idle timeout: %v", err)
	}
	now = now.Add(2 * time.Second)
	if _, err := s.read(r); err == nil {
		t.Fatal("idle past the timeout, still signed in")
	}
	now = signedIn.Signed.Add(absoluteTimeout + time.Second)
	if _, err := s.read(cookie(signedIn)); err == nil {
		t.Fatal("past the absolute timeout, still signed in")
	}
}

// Setting the state returns to the page it was set on, never to another site.
func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/conversation?id=x": "/conversation?id=x", "/": "/", "": "/",
		"//evil.example/": "/", `/\evil.example`: "/", "https://evil.example/": "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
