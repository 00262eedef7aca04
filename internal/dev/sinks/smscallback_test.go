package sinks_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"outbound/internal/sms"
)

// callback is one status callback as a receiver saw it.
type callback struct {
	form      url.Values
	query     url.Values
	validSig  bool
	signature string
}

// receiver is a real HTTP server standing in for the gateway: it checks each
// callback's signature with token over the URL it was called on, and answers
// the first `fail` requests with 503.
func receiver(t *testing.T, token string, fail int32) (string, <-chan callback) {
	t.Helper()
	got := make(chan callback, 16)
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("callback form: %v", err)
		}
		if seen.Add(1) <= fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		sig := r.Header.Get(sms.SignatureHeader)
		got <- callback{
			form:      r.PostForm,
			query:     r.URL.Query(),
			signature: sig,
			validSig:  sms.ValidSignature(token, "http://"+r.Host+r.URL.RequestURI(), r.PostForm, sig),
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/webhooks/sms/status?conversation=conv-1&message=m3", got
}

func next(t *testing.T, got <-chan callback) callback {
	t.Helper()
	select {
	case c := <-got:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no status callback")
		return callback{}
	}
}

func readSMSRecord(t *testing.T, dir, sid string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "sms", sid+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestSMSStatusCallbacksAreSignedAndOrdered(t *testing.T) {
	dir := t.TempDir()
	sink := startSMS(t, dir)
	sink.SetAuthToken("sink-token")
	cbURL, got := receiver(t, "sink-token", 1) // the first attempt fails: retried

	form := validForm()
	form.Set("StatusCallback", cbURL)
	start := time.Now()
	status, out := post(t, sink.URL(), form, "conv-1/m3", true)
	if status != http.StatusCreated || out["status"] != "queued" {
		t.Fatalf("create: %d %v", status, out)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("create answer waited for the callbacks")
	}
	sid := out["sid"].(string)

	for _, want := range []string{"sent", "delivered"} {
		c := next(t, got)
		if !c.validSig {
			t.Fatalf("%s: signature %q does not validate", want, c.signature)
		}
		f := c.form
		if f.Get("MessageStatus") != want || f.Get("MessageSid") != sid || f.Get("AccountSid") != account ||
			f.Get("To") != "+905321234567" || f.Get("From") != "+14155550100" {
			t.Fatalf("callback %v, want status %s for %s", f, want, sid)
		}
		if c.query.Get("conversation") != "conv-1" || c.query.Get("message") != "m3" {
			t.Fatalf("callback query %v", c.query)
		}
	}
	rec := readSMSRecord(t, dir, sid)
	if rec["sid"] != sid || rec["status"] != "delivered" || rec["statusCallback"] != cbURL {
		t.Fatalf("outbox record %v, want sid %s status delivered", rec, sid)
	}

	// A retried create repeats the first answer and reports nothing again.
	status, again := post(t, sink.URL(), form, "conv-1/m3", true)
	if status != http.StatusCreated || again["sid"] != sid || again["status"] != "queued" {
		t.Fatalf("replay: %d %v", status, again)
	}
	select {
	case c := <-got:
		t.Fatalf("replay produced a callback %v", c.form)
	case <-time.After(500 * time.Millisecond):
	}
}

func TestSMSStatusCallbackSignedWithSendersTokenByDefault(t *testing.T) {
	dir := t.TempDir()
	sink := startSMS(t, dir)
	cbURL, got := receiver(t, "token", 0) // post() authenticates with "token"
	form := validForm()
	form.Set("StatusCallback", cbURL)
	if status, out := post(t, sink.URL(), form, "", true); status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, out)
	}
	if c := next(t, got); !c.validSig || c.form.Get("MessageStatus") != "sent" {
		t.Fatalf("callback %v valid=%v", c.form, c.validSig)
	}
}

func TestSMSWithoutStatusCallbackStaysQueued(t *testing.T) {
	dir := t.TempDir()
	sink := startSMS(t, dir)
	status, out := post(t, sink.URL(), validForm(), "", true)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, out)
	}
	time.Sleep(400 * time.Millisecond)
	if rec := readSMSRecord(t, dir, out["sid"].(string)); rec["status"] != "queued" || rec["statusCallback"] != nil {
		t.Fatalf("record %v", rec)
	}
}

func TestSMSRejectsBadStatusCallback(t *testing.T) {
	dir := t.TempDir()
	sink := startSMS(t, dir)
	for _, bad := range []string{"not a url", "/relative/path", "ftp://host/x"} {
		form := validForm()
		form.Set("StatusCallback", bad)
		if status, out := post(t, sink.URL(), form, "", true); status != 400 || out["code"] != 21609.0 {
			t.Errorf("%q: got %d %v, want 400/21609", bad, status, out)
		}
	}
	if names := listDir(t, filepath.Join(dir, "sms")); len(names) != 0 {
		t.Fatalf("rejected requests wrote %v", names)
	}
}

func TestSMSCloseAbandonsCallbacksPromptly(t *testing.T) {
	dir := t.TempDir()
	sink := startSMS(t, dir)
	// A receiver that never answers 2xx keeps the sink retrying.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	form := validForm()
	form.Set("StatusCallback", srv.URL+"/cb")
	if status, out := post(t, sink.URL(), form, "", true); status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, out)
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %s", d)
	}
}

// A provider reports every message of a burst, however many arrive at once:
// the sink's wait before each status must not hold up the others'.
func TestSMSBurstGetsEveryCallbackInOrder(t *testing.T) {
	const messages = 300
	sink := startSMS(t, t.TempDir())
	var mu sync.Mutex
	seen := map[string][]string{} // sid → statuses in arrival order
	total := make(chan struct{}, 2*messages)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("callback form: %v", err)
		}
		mu.Lock()
		sid := r.PostForm.Get("MessageSid")
		seen[sid] = append(seen[sid], r.PostForm.Get("MessageStatus"))
		mu.Unlock()
		total <- struct{}{}
	}))
	t.Cleanup(srv.Close)

	form := validForm()
	form.Set("StatusCallback", srv.URL+"/cb")
	start := time.Now()
	for range messages {
		if status, out := post(t, sink.URL(), form, "", true); status != http.StatusCreated {
			t.Fatalf("create: %d %v", status, out)
		}
	}
	posted := time.Since(start)
	for n := 0; n < 2*messages; n++ {
		select {
		case <-total:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d callbacks after the %d creates (posted in %s)", n, 2*messages, messages, posted)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != messages {
		t.Fatalf("callbacks for %d messages, want %d", len(seen), messages)
	}
	for sid, statuses := range seen {
		if len(statuses) != 2 || statuses[0] != "sent" || statuses[1] != "delivered" {
			t.Fatalf("%s: callbacks %v, want [sent delivered]", sid, statuses)
		}
	}
}
