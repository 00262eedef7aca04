package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/dev/sinks"
	"outbound/internal/gateway"
	"outbound/internal/model"
	"outbound/internal/sms"
)

const (
	token    = "gw-test-token"
	customer = "+905321234567"
	entry    = "+14155550100"
	text     = "Merhaba, paketim nerede?"
)

type statusCall struct {
	conversation, message, status, errText string
}

// fakeConvs records what the gateway asks of the service.
type fakeConvs struct {
	mu         sync.Mutex
	inbound    []conversations.InboundMessage
	batches    []int         // the size of each InboundAll
	hold       chan struct{} // when set, the first InboundAll waits for it
	statuses   []statusCall
	inboundErr error
	statusErr  error
	statusSeen chan statusCall
}

func (f *fakeConvs) InboundAll(ctx context.Context, msgs []conversations.InboundMessage) []error {
	f.mu.Lock()
	first := len(f.batches) == 0
	f.mu.Unlock()
	if first && f.hold != nil {
		<-f.hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, len(msgs))
	f.inbound = append(f.inbound, msgs...)
	errs := make([]error, len(msgs))
	for i := range errs {
		errs[i] = f.inboundErr
	}
	return errs
}

func (f *fakeConvs) DeliveryStatus(ctx context.Context, conversation, messageID, status, errText string) error {
	c := statusCall{conversation, messageID, status, errText}
	f.mu.Lock()
	f.statuses = append(f.statuses, c)
	err := f.statusErr
	f.mu.Unlock()
	if f.statusSeen != nil {
		f.statusSeen <- c
	}
	return err
}

func (f *fakeConvs) batchSizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.batches...)
}

func (f *fakeConvs) inboundCalls() []conversations.InboundMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]conversations.InboundMessage(nil), f.inbound...)
}

func (f *fakeConvs) statusCalls() []statusCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]statusCall(nil), f.statuses...)
}

func (f *fakeConvs) setInboundErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inboundErr = err
}

// startGateway serves the gateway over real HTTP; its public URL is its own
// loopback address. It returns that URL and the observed logs.
func startGateway(t *testing.T, convs gateway.Conversations) (string, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	srv := httptest.NewUnstartedServer(nil)
	public := "http://" + srv.Listener.Addr().String()
	srv.Config.Handler = gateway.New(gateway.Config{PublicURL: public, SMSAuthToken: token}, convs, zap.New(core))
	srv.Start()
	t.Cleanup(srv.Close)
	return public, logs
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("status %d: body %q is not JSON", a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	return m
}

// postForm POSTs form to base+pathAndQuery with the given signature header
// ("" for none).
func postForm(t *testing.T, base, pathAndQuery string, form url.Values, signature string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+pathAndQuery, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if signature != "" {
		req.Header.Set(sms.SignatureHeader, signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(raw)}
}

// postSigned signs as the provider does: over the URL it calls and the form.
func postSigned(t *testing.T, base, pathAndQuery string, form url.Values) answer {
	t.Helper()
	return postForm(t, base, pathAndQuery, form, sms.Signature(token, base+pathAndQuery, form))
}

func inboundForm(sid string) url.Values {
	return url.Values{
		"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {"AC1"},
		"From": {customer}, "To": {entry}, "Body": {text}, "NumMedia": {"0"},
	}
}

func TestInboundSignedRoutesMessage(t *testing.T) {
	convs := &fakeConvs{}
	base, logs := startGateway(t, convs)
	a := postSigned(t, base, "/webhooks/sms", inboundForm("SM0001"))
	if a.status != http.StatusOK || a.body != "<Response></Response>" || !strings.HasPrefix(a.header.Get("Content-Type"), "text/xml") {
		t.Fatalf("answer %d %q %q", a.status, a.header.Get("Content-Type"), a.body)
	}
	calls := convs.inboundCalls()
	if len(calls) != 1 {
		t.Fatalf("Inbound called %d times", len(calls))
	}
	m := calls[0]
	if m.Channel != model.SMS || m.To != entry || m.From != customer || m.Text != text || m.ProviderID != "SM0001" || m.Thread != "" {
		t.Fatalf("Inbound got %+v", m)
	}
	assertNoCustomerData(t, logs)
}

func TestInboundSignatureRequired(t *testing.T) {
	convs := &fakeConvs{}
	base, logs := startGateway(t, convs)
	form := inboundForm("SM0002")
	tampered := inboundForm("SM0002")
	tampered.Set("Body", "send me the money")
	cases := map[string]string{
		"missing":    "",
		"garbage":    "not-a-signature",
		"wrong key":  sms.Signature("other-token", base+"/webhooks/sms", form),
		"other url":  sms.Signature(token, "http://gateway.example/webhooks/sms", form),
		"other path": sms.Signature(token, base+"/webhooks/sms?x=1", form),
		"tampered":   sms.Signature(token, base+"/webhooks/sms", tampered),
	}
	for name, sig := range cases {
		a := postForm(t, base, "/webhooks/sms", form, sig)
		if a.status != http.StatusForbidden || a.json(t)["error"] == "" {
			t.Errorf("%s: answer %d %s, want 403 JSON", name, a.status, a.body)
		}
	}
	// A signature check comes before validation: an unsigned bad form is 403 too.
	if a := postForm(t, base, "/webhooks/sms", url.Values{"Body": {"x"}}, ""); a.status != http.StatusForbidden {
		t.Errorf("unsigned bad form: %d", a.status)
	}
	if n := len(convs.inboundCalls()); n != 0 {
		t.Fatalf("Inbound called %d times for refused requests", n)
	}
	assertNoCustomerData(t, logs)
}

func TestNoTokenRefusesEverything(t *testing.T) {
	convs := &fakeConvs{}
	srv := httptest.NewServer(gateway.New(gateway.Config{}, convs, nil)) // PublicURL from the Host header
	defer srv.Close()
	form := inboundForm("SM0003")
	// Signed with the empty token over the right URL: still refused.
	if a := postForm(t, srv.URL, "/webhooks/sms", form, sms.Signature("", srv.URL+"/webhooks/sms", form)); a.status != http.StatusForbidden {
		t.Fatalf("empty token: %d %s", a.status, a.body)
	}
	if len(convs.inboundCalls()) != 0 {
		t.Fatal("Inbound called")
	}
}

func TestPublicURLFromHostWhenUnset(t *testing.T) {
	convs := &fakeConvs{}
	srv := httptest.NewServer(gateway.New(gateway.Config{SMSAuthToken: token}, convs, nil))
	defer srv.Close()
	if a := postSigned(t, srv.URL, "/webhooks/sms", inboundForm("SM0004")); a.status != http.StatusOK {
		t.Fatalf("answer %d %s", a.status, a.body)
	}
}

func TestInboundFailureIsRetriable(t *testing.T) {
	convs := &fakeConvs{inboundErr: errors.New("context deadline exceeded")}
	base, _ := startGateway(t, convs)
	a := postSigned(t, base, "/webhooks/sms", inboundForm("SM0007"))
	if a.status != http.StatusServiceUnavailable || a.json(t)["error"] == "" {
		t.Fatalf("answer %d %s, want 503", a.status, a.body)
	}
	// The provider's retry routes the message.
	convs.setInboundErr(nil)
	if a := postSigned(t, base, "/webhooks/sms", inboundForm("SM0007")); a.status != http.StatusOK {
		t.Fatalf("retry: %d %s", a.status, a.body)
	}
	if n := len(convs.inboundCalls()); n != 2 {
		t.Fatalf("Inbound called %d times, want 2", n)
	}
}

func TestInboundRefusalIs422(t *testing.T) {
	convs := &fakeConvs{inboundErr: codes.New(codes.NoEntryPoint, "no entry point has this address")}
	base, _ := startGateway(t, convs)
	a := postSigned(t, base, "/webhooks/sms", inboundForm("SM0008"))
	if a.status != http.StatusUnprocessableEntity {
		t.Fatalf("answer %d %s, want 422", a.status, a.body)
	}
	if body := a.json(t); body["code"] != "NO_ENTRY_POINT" || body["error"] != "no entry point has this address" {
		t.Fatalf("body %v", body)
	}
	convs.setInboundErr(codes.New(codes.BadRequest, "malformed"))
	if a := postSigned(t, base, "/webhooks/sms", inboundForm("SM0009")); a.status != http.StatusBadRequest {
		t.Fatalf("bad request: %d %s", a.status, a.body)
	}
}

// A media-only MMS has an empty Body: it is kept, its media by reference
// (found: answered 400, which the provider never retries, so it was lost).
// Bad media fields are refused by name.
func TestInboundMediaOnlyMMS(t *testing.T) {
	convs := &fakeConvs{}
	base, logs := startGateway(t, convs)
	form := inboundForm("SM0020")
	form.Set("Body", "")
	form.Set("NumMedia", "2")
	form.Set("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/SM0020/Media/ME1")
	form.Set("MediaContentType0", "image/jpeg")
	form.Set("MediaUrl1", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/SM0020/Media/ME2")
	form.Set("MediaContentType1", "video/mp4")
	if a := postSigned(t, base, "/webhooks/sms", form); a.status != http.StatusOK {
		t.Fatalf("media-only MMS: %d %s", a.status, a.body)
	}
	calls := convs.inboundCalls()
	want := []model.Media{
		{URL: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/SM0020/Media/ME1", ContentType: "image/jpeg"},
		{URL: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/SM0020/Media/ME2", ContentType: "video/mp4"},
	}
	if len(calls) != 1 || calls[0].Text != "" || !reflect.DeepEqual(calls[0].Media, want) {
		t.Fatalf("Inbound got %+v, want the media %+v", calls, want)
	}
	for field, value := range map[string]string{
		"NumMedia":          "11",
		"MediaUrl1":         "javascript:alert(1)",
		"MediaContentType0": "not a type",
	} {
		bad := inboundForm("SM0021")
		bad.Set("Body", "")
		for k, v := range form {
			if strings.HasPrefix(k, "Media") || k == "NumMedia" {
				bad[k] = v
			}
		}
		bad.Set(field, value)
		if a := postSigned(t, base, "/webhooks/sms", bad); a.status != http.StatusBadRequest || a.json(t)["field"] != field {
			t.Errorf("%s=%q: %d %s, want 400 naming the field", field, value, a.status, a.body)
		}
	}
	empty := inboundForm("SM0022")
	empty.Set("Body", " ")
	if a := postSigned(t, base, "/webhooks/sms", empty); a.status != http.StatusBadRequest || a.json(t)["field"] != "Body" {
		t.Errorf("no text and no media: %d %s", a.status, a.body)
	}
	assertNoCustomerData(t, logs)
}

// Found: 200 webhooks at once to one conversation were 200 writes the
// server made one after another, and on a busy machine 24 waited past the
// deadline (503). Those that arrive while one is being handed over go
// together, and each is answered once it is durable.
func TestInboundBurstFromOneNumberGoesTogether(t *testing.T) {
	convs := &fakeConvs{hold: make(chan struct{})}
	var entered atomic.Int64
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h := gateway.New(gateway.Config{PublicURL: base, SMSAuthToken: token}, convs, nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered.Add(1)
		h.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)

	const n = 50
	answers := make(chan int, n)
	for i := range n {
		form := inboundForm(fmt.Sprintf("SM%04d", i))
		form.Set("Body", fmt.Sprintf("part %02d", i))
		go func() { answers <- postSigned(t, base, "/webhooks/sms", form).status }()
	}
	for entered.Load() < n {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the others queue behind the first, held
	close(convs.hold)
	for range n {
		if status := <-answers; status != http.StatusOK {
			t.Fatalf("a webhook of the burst answered %d", status)
		}
	}
	seen := map[string]int{}
	for _, m := range convs.inboundCalls() {
		seen[m.Text]++
	}
	if len(seen) != n || len(convs.inboundCalls()) != n {
		t.Errorf("handed over %d messages, %d distinct, want each of %d once", len(convs.inboundCalls()), len(seen), n)
	}
	if sizes := convs.batchSizes(); len(sizes) >= n/2 {
		t.Errorf("%d messages in %d signals (%v): the burst was not put together", n, len(sizes), sizes)
	}
}

func TestInboundBadForm(t *testing.T) {
	convs := &fakeConvs{}
	base, _ := startGateway(t, convs)
	for _, field := range []string{"MessageSid", "From", "To", "Body"} {
		form := inboundForm("SM0010")
		form.Del(field)
		a := postSigned(t, base, "/webhooks/sms", form)
		if body := a.json(t); a.status != http.StatusBadRequest || body["field"] != field || body["error"] == "" {
			t.Errorf("without %s: %d %v", field, a.status, body)
		}
	}
	form := inboundForm("SM 0010; DROP")
	if a := postSigned(t, base, "/webhooks/sms", form); a.status != http.StatusBadRequest || a.json(t)["field"] != "MessageSid" {
		t.Errorf("malformed sid: %d %s", a.status, a.body)
	}
	// Not a form at all.
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/sms", strings.NewReader("a=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unparsable body: %d", resp.StatusCode)
	}
	// Longer than a provider delivers (1,600 characters), and just as long.
	long := inboundForm("SM0012")
	long.Set("Body", strings.Repeat("ş", 1601))
	if a := postSigned(t, base, "/webhooks/sms", long); a.status != http.StatusBadRequest || a.json(t)["field"] != "Body" {
		t.Errorf("1,601 characters: %d %s", a.status, a.body)
	}
	long.Set("Body", strings.Repeat("ş", 1600))
	if a := postSigned(t, base, "/webhooks/sms", long); a.status != http.StatusOK {
		t.Errorf("1,600 characters: %d %s", a.status, a.body)
	}
	// Too large.
	huge := inboundForm("SM0011")
	huge.Set("Body", strings.Repeat("x", 70<<10))
	if a := postSigned(t, base, "/webhooks/sms", huge); a.status != http.StatusRequestEntityTooLarge {
		t.Errorf("huge body: %d", a.status)
	}
	if n := len(convs.inboundCalls()); n != 1 {
		t.Fatalf("Inbound called %d times, want once (the 1,600-character message) among bad requests", n)
	}
}

func statusForm(sid, status, errorCode string) url.Values {
	f := url.Values{"MessageSid": {sid}, "MessageStatus": {status}, "AccountSid": {"AC1"}, "To": {customer}, "From": {entry}}
	if errorCode != "" {
		f.Set("ErrorCode", errorCode)
	}
	return f
}

func TestStatusCallbackMapsStatus(t *testing.T) {
	convs := &fakeConvs{}
	base, logs := startGateway(t, convs)
	cb := strings.TrimPrefix(sms.StatusCallbackURL(base, "wf-1/run-1", "m3"), base)
	cases := []struct {
		providerStatus, errorCode string
		want                      *statusCall
	}{
		{"queued", "", nil},
		{"sent", "", nil}, // DeliverSMS's answer already recorded it
		{"delivered", "", &statusCall{"wf-1/run-1", "m3", "delivered", ""}},
		{"undelivered", "30003", &statusCall{"wf-1/run-1", "m3", "failed", "provider error 30003"}},
		{"failed", "", &statusCall{"wf-1/run-1", "m3", "failed", "provider reported failed"}},
	}
	for _, c := range cases {
		before := len(convs.statusCalls())
		a := postSigned(t, base, cb, statusForm("SM0100", c.providerStatus, c.errorCode))
		if a.status != http.StatusOK {
			t.Errorf("%s: answer %d %s", c.providerStatus, a.status, a.body)
			continue
		}
		calls := convs.statusCalls()[before:]
		switch {
		case c.want == nil && len(calls) != 0:
			t.Errorf("%s: DeliveryStatus called %v", c.providerStatus, calls)
		case c.want != nil && (len(calls) != 1 || calls[0] != *c.want):
			t.Errorf("%s: DeliveryStatus calls %v, want %v", c.providerStatus, calls, *c.want)
		}
	}
	assertNoCustomerData(t, logs)
}

func TestStatusCallbackErrors(t *testing.T) {
	convs := &fakeConvs{}
	base, _ := startGateway(t, convs)
	cb := strings.TrimPrefix(sms.StatusCallbackURL(base, "wf-1/run-1", "m3"), base)

	// Unsigned, or signed for another conversation: 403.
	if a := postForm(t, base, cb, statusForm("SM0200", "delivered", ""), ""); a.status != http.StatusForbidden {
		t.Errorf("unsigned: %d", a.status)
	}
	other := strings.TrimPrefix(sms.StatusCallbackURL(base, "wf-2/run-1", "m3"), base)
	form := statusForm("SM0200", "delivered", "")
	if a := postForm(t, base, cb, form, sms.Signature(token, base+other, form)); a.status != http.StatusForbidden {
		t.Errorf("signed for another conversation: %d", a.status)
	}

	bad := []struct {
		path  string
		form  url.Values
		field string
	}{
		{"/webhooks/sms/status?message=m3", statusForm("SM0201", "delivered", ""), "conversation"},
		{"/webhooks/sms/status?conversation=wf-1", statusForm("SM0201", "delivered", ""), "message"},
		{cb, statusForm("", "delivered", ""), "MessageSid"},
		{cb, statusForm("SM0201", "lost-in-space", ""), "MessageStatus"},
		{cb, statusForm("SM0201", "", ""), "MessageStatus"},
		{cb, statusForm("SM0201", "failed", "30003; rm"), "ErrorCode"},
	}
	for _, b := range bad {
		a := postSigned(t, base, b.path, b.form)
		if body := a.json(t); a.status != http.StatusBadRequest || body["field"] != b.field {
			t.Errorf("%s %v: %d %v, want 400 on %s", b.path, b.form, a.status, body, b.field)
		}
	}
	if n := len(convs.statusCalls()); n != 0 {
		t.Fatalf("DeliveryStatus called %d times for bad requests", n)
	}

	convs.statusErr = codes.New(codes.ConversationClosed, "the conversation is closed")
	if a := postSigned(t, base, cb, statusForm("SM0202", "delivered", "")); a.status != http.StatusOK {
		t.Errorf("closed conversation: %d %s, want 200", a.status, a.body)
	}
	convs.statusErr = errors.New("temporal unreachable")
	if a := postSigned(t, base, cb, statusForm("SM0203", "delivered", "")); a.status != http.StatusServiceUnavailable {
		t.Errorf("service down: %d %s, want 503", a.status, a.body)
	}
	convs.statusErr = codes.New(codes.BadRequest, "%q is not a conversation id", "wf-1")
	if a := postSigned(t, base, cb, statusForm("SM0204", "delivered", "")); a.status != http.StatusBadRequest {
		t.Errorf("bad conversation id: %d %s, want 400", a.status, a.body)
	}
}

func TestWebhookIsPostOnly(t *testing.T) {
	base, _ := startGateway(t, &fakeConvs{})
	resp, err := http.Get(base + "/webhooks/sms")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /webhooks/sms: %d", resp.StatusCode)
	}
}

// TestDevSinkCallbacksReachGateway runs the dev loop: a message sent through
// the SMS client to the dev sink with a status callback comes back to the
// gateway as signed sent and delivered callbacks for that message.
func TestDevSinkCallbacksReachGateway(t *testing.T) {
	convs := &fakeConvs{statusSeen: make(chan statusCall, 4)}
	base, _ := startGateway(t, convs)
	sink, err := sinks.StartSMS("127.0.0.1:0", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	sink.SetAuthToken(token)

	c := &sms.Client{BaseURL: sink.URL(), AccountSID: "ACdev", AuthToken: "whatever"}
	cb := sms.StatusCallbackURL(base, "wf-9/run-1", "m2")
	if _, err := c.SendWithCallback(context.Background(), entry, customer, "hello", "wf-9/m2", cb); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-convs.statusSeen:
		if got != (statusCall{"wf-9/run-1", "m2", "delivered", ""}) {
			t.Fatalf("got %+v, want delivered", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no delivered callback reached the gateway")
	}
}

// assertNoCustomerData fails if a log line carries a phone number, a message
// body or the token.
func assertNoCustomerData(t *testing.T, logs *observer.ObservedLogs) {
	t.Helper()
	if logs.Len() == 0 {
		t.Error("nothing was logged")
	}
	for _, e := range logs.All() {
		line := fmt.Sprint(e.Message, e.ContextMap())
		for _, secret := range []string{customer, entry, text, token, "send me the money"} {
			if strings.Contains(line, secret) {
				t.Errorf("log line %q contains %q", line, secret)
			}
		}
	}
}
