package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"outbound/internal/delivery"
	"outbound/internal/dev/sinks"
	"outbound/internal/sms"
)

const (
	account = "AC00000000000000000000000000000001"
	token   = "super-secret-token"
	from    = "+14155550100"
	to      = "+905321234567"
)

func startSink(t *testing.T) (*sinks.SMSSink, string) {
	t.Helper()
	dir := t.TempDir()
	sink, err := sinks.StartSMS("127.0.0.1:0", dir, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	return sink, dir
}

func clientFor(base string) *sms.Client {
	return &sms.Client{BaseURL: base, AccountSID: account, AuthToken: token, HTTP: &http.Client{}}
}

func smsFiles(t *testing.T, outbox string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(outbox, "sms", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestSendToSinkWritesOneRecord(t *testing.T) {
	sink, outbox := startSink(t)
	body := "Merhaba, siparişiniz yolda." // 'ş' forces UCS-2
	sent, err := clientFor(sink.URL()).Send(context.Background(), from, to, body, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sent.SID, "SM") || len(sent.SID) != 34 || sent.Status != "queued" || sent.Segments != 1 {
		t.Fatalf("unexpected ack %+v", sent)
	}
	files := smsFiles(t, outbox)
	if len(files) != 1 || filepath.Base(files[0]) != sent.SID+".json" {
		t.Fatalf("want exactly %s.json, got %v", sent.SID, files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"sid": sent.SID, "from": from, "to": to, "body": body, "idempotencyKey": "key-1", "segments": 1.0}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("record %s = %v, want %v", k, rec[k], v)
		}
	}
	if _, ok := rec["receivedAt"]; !ok {
		t.Error("record has no receivedAt")
	}
}

func TestSameIdempotencyKeySendsOnce(t *testing.T) {
	sink, outbox := startSink(t)
	c := clientFor(sink.URL())
	first, err := c.Send(context.Background(), from, to, "hello", "conv-1/m1")
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Send(context.Background(), from, to, "hello", "conv-1/m1")
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Fatalf("retry got %+v, first was %+v", second, first)
	}
	if files := smsFiles(t, outbox); len(files) != 1 {
		t.Fatalf("want 1 record, got %v", files)
	}
	third, err := c.Send(context.Background(), from, to, "hello", "conv-1/m2")
	if err != nil {
		t.Fatal(err)
	}
	if third.SID == first.SID || len(smsFiles(t, outbox)) != 2 {
		t.Fatalf("a new key must create a new message")
	}
}

func TestInvalidNumberIsPermanent(t *testing.T) {
	sink, outbox := startSink(t)
	_, err := clientFor(sink.URL()).Send(context.Background(), from, "05321234567", "hello", "k")
	if !delivery.IsPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
	var apiErr *sms.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 21211 || apiErr.HTTPStatus != 400 {
		t.Fatalf("err = %#v, want APIError 400/21211", apiErr)
	}
	if files := smsFiles(t, outbox); len(files) != 0 {
		t.Fatalf("rejected message was stored: %v", files)
	}
}

func TestMissingAccountIsPermanent(t *testing.T) {
	sink, _ := startSink(t)
	c := clientFor(sink.URL())
	c.AccountSID = "" // builds no request at all
	if _, err := c.Send(context.Background(), from, to, "hi", "k"); !delivery.IsPermanent(err) {
		t.Fatalf("missing account: err = %v, want permanent", err)
	}
}

// statusServer answers every request with status and body.
func statusServer(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestStatusClassification(t *testing.T) {
	twilio := func(code, status int) string {
		b, _ := json.Marshal(map[string]any{"code": code, "message": "m", "status": status})
		return string(b)
	}
	cases := []struct {
		status    int
		body      string
		permanent bool
	}{
		{503, `{"code":20503,"message":"Service Unavailable","status":503}`, false},
		{500, "<html>oops</html>", false},
		{502, "", false},
		{429, twilio(20429, 429), false},
		{408, "", false},
		{400, twilio(21211, 400), true},
		{401, twilio(20003, 401), true},
		{404, "not json", true},
	}
	for _, c := range cases {
		_, err := clientFor(statusServer(t, c.status, c.body)).Send(context.Background(), from, to, "hi", "k")
		var apiErr *sms.APIError
		if !errors.As(err, &apiErr) || apiErr.HTTPStatus != c.status {
			t.Errorf("%d: err = %v, want APIError", c.status, err)
			continue
		}
		if got := delivery.IsPermanent(err); got != c.permanent {
			t.Errorf("%d: IsPermanent = %v, want %v", c.status, got, c.permanent)
		}
		if strings.Contains(err.Error(), "oops") {
			t.Errorf("%d: non-JSON body leaked into error %q", c.status, err)
		}
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ln.Close()
	_, err = clientFor(base).Send(context.Background(), from, to, "hi", "k")
	if err == nil || delivery.IsPermanent(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Fatal("auth token leaked into error")
	}
}

func TestUnreadableSuccessIsTransient(t *testing.T) {
	_, err := clientFor(statusServer(t, 201, "{")).Send(context.Background(), from, to, "hi", "k")
	if err == nil || delivery.IsPermanent(err) {
		t.Fatalf("err = %v, want transient", err)
	}
}

func TestRequestShape(t *testing.T) {
	var got *http.Request
	var form map[string][]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got, form = r, r.PostForm
		w.WriteHeader(201)
		// Numeric num_segments is accepted as well as Twilio's string form.
		_, _ = w.Write([]byte(`{"sid":"SMabc","status":"accepted","num_segments":2}`))
	}))
	defer srv.Close()

	sent, err := clientFor(srv.URL+"/").Send(context.Background(), from, to, "body text", "idem-7")
	if err != nil {
		t.Fatal(err)
	}
	if sent != (sms.Sent{SID: "SMabc", Status: "accepted", Segments: 2}) {
		t.Errorf("sent = %+v", sent)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/2010-04-01/Accounts/"+account+"/Messages.json" {
		t.Errorf("request %s %s", got.Method, got.URL.Path)
	}
	if u, p, ok := got.BasicAuth(); !ok || u != account || p != token {
		t.Errorf("basic auth = %q/%q/%v", u, p, ok)
	}
	if k := got.Header.Get("I-Twilio-Idempotency-Token"); k != "idem-7" {
		t.Errorf("idempotency header = %q", k)
	}
	if form["To"][0] != to || form["From"][0] != from || form["Body"][0] != "body text" {
		t.Errorf("form = %v", form)
	}
}

func TestSendWithCallbackPostsStatusCallback(t *testing.T) {
	forms := make(chan url.Values, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		forms <- r.PostForm
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"sid":"SMabc","status":"queued","num_segments":"1"}`))
	}))
	defer srv.Close()
	c := clientFor(srv.URL)

	cb := sms.StatusCallbackURL("http://127.0.0.1:8080/", "conv/1 x", "m3")
	if cb != "http://127.0.0.1:8080/webhooks/sms/status?conversation=conv%2F1+x&message=m3" {
		t.Fatalf("StatusCallbackURL = %q", cb)
	}
	if _, err := c.SendWithCallback(context.Background(), from, to, "hi", "k1", cb); err != nil {
		t.Fatal(err)
	}
	form := <-forms
	if got := form.Get("StatusCallback"); got != cb {
		t.Errorf("StatusCallback = %q, want %q", got, cb)
	}
	if form.Get("To") != to || form.Get("From") != from || form.Get("Body") != "hi" {
		t.Errorf("form = %v", form)
	}
	u, err := url.Parse(form.Get("StatusCallback"))
	if err != nil || u.Query().Get("conversation") != "conv/1 x" || u.Query().Get("message") != "m3" {
		t.Errorf("callback query does not round-trip: %v %v", u, err)
	}

	if _, err := c.Send(context.Background(), from, to, "hi", "k2"); err != nil {
		t.Fatal(err)
	}
	if form := <-forms; form.Has("StatusCallback") {
		t.Errorf("Send posted StatusCallback %q", form.Get("StatusCallback"))
	}
}
