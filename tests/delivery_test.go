package tests

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"outbound/internal/conversations"
	"outbound/internal/dev/sinks"
	"outbound/internal/dev/testenv"
	"outbound/internal/model"
	"outbound/internal/sms"
)

// flakyProvider stands in front of a real SMS sink: it passes every request
// on, but answers the first one with a 503 after the sink accepted it (the
// worst case for a retry), and refuses one number as Twilio does (21211).
type flakyProvider struct {
	requests atomic.Int64
	proxy    *httputil.ReverseProxy
	badTo    string
}

func (p *flakyProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if r.PostForm.Get("To") == p.badTo {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":21211,"message":"The 'To' number is not a valid phone number.","status":400}`))
		return
	}
	if p.requests.Add(1) == 1 {
		rec := httptest.NewRecorder()
		p.proxy.ServeHTTP(rec, withForm(r))
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	p.proxy.ServeHTTP(w, withForm(r))
}

// withForm gives the proxy a body again: ParseForm consumed the original.
func withForm(r *http.Request) *http.Request {
	body := r.PostForm.Encode()
	r2 := r.Clone(r.Context())
	r2.Body = readCloser{strings.NewReader(body)}
	r2.ContentLength = int64(len(body))
	return r2
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

// A retried delivery never sends twice (idempotency key), and a permanent
// provider refusal fails the message at once, visibly to the agent.
func TestDeliveryIsExactlyOnceAndFailuresAreVisible(t *testing.T) {
	outbox := t.TempDir()
	sink, err := sinks.StartSMS("127.0.0.1:0", outbox, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	target, _ := url.Parse(sink.URL())
	provider := &flakyProvider{proxy: httputil.NewSingleHostReverseProxy(target), badTo: "+14155550999"}
	front := httptest.NewServer(provider)
	t.Cleanup(front.Close)

	e := testenv.Start(t, testenv.Options{Tenants: 1, SMS: &sms.Client{BaseURL: front.URL, AccountSID: "ACtest", AuthToken: "t"}})
	c := e.Tenant(t)
	ctx := testContext(t)
	to := newPhone()
	id := startSMS(t, c, "alice", to) // its first message hits the 503
	eventually(t, 30*time.Second, "the first message to be sent", func() bool {
		s := show(t, c, id).Messages[0].Status
		return s == model.MessageSent || s == model.MessageDelivered
	})
	files, _ := filepath.Glob(filepath.Join(outbox, "sms", "*.json"))
	if len(files) != 1 {
		t.Fatalf("the provider holds %d messages after a retried delivery, want 1", len(files))
	}
	if provider.requests.Load() < 2 {
		t.Fatalf("the delivery was not retried (%d requests)", provider.requests.Load())
	}

	bad := startSMSNoFirst(t, c, "bob", "+14155550999")
	res, err := c.Send(ctx, conversations.Sync, bad, "bob", model.Compose{Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != model.MessageFailed || !strings.Contains(res.Error, "not a valid phone number") {
		t.Fatalf("want failed with the provider's reason, got %+v", res)
	}
	if m := show(t, c, bad).Messages[0]; m.Status != model.MessageFailed {
		t.Fatalf("the transcript shows %s for a failed message", m.Status)
	}
}

func startSMSNoFirst(t *testing.T, c *conversations.Client, agent, to string) string {
	t.Helper()
	id, err := c.Start(testContext(t), conversations.StartOptions{Agent: agent, Channel: "sms", To: to, EntryPoint: "ep-sms"})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return id
}
