package mailin_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/emersion/go-smtp"
	"go.uber.org/zap/zaptest"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/mailin"
	"outbound/internal/model"
)

const (
	entryPoint = "support@acme.example"
	customer   = "jane@customer.example"
	conv1      = "conversation/acme/ep-email/0123456789abcdef0123456789abcdef/5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a"
	id1        = "m3.conversation.acme.ep-email.0123456789abcdef0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@acme.example"
)

// fakeRouter records every call and answers with err (nil: conv1).
type fakeRouter struct {
	mu       sync.Mutex
	calls    []conversations.InboundMessage
	statuses []string // conversation message status reason, of each DeliveryStatus
	err      func(m conversations.InboundMessage) error
}

func (f *fakeRouter) DeliveryStatus(_ context.Context, conversation, messageID, status, errText string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses = append(f.statuses, strings.Join([]string{conversation, messageID, status, errText}, " "))
	return nil
}

func (f *fakeRouter) Inbound(_ context.Context, m conversations.InboundMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, m)
	if f.err != nil {
		return f.err(m)
	}
	return nil
}

func (f *fakeRouter) gotStatuses() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.statuses...)
}

func (f *fakeRouter) got() []conversations.InboundMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]conversations.InboundMessage(nil), f.calls...)
}

func start(t *testing.T, r mailin.Router) *mailin.Server {
	t.Helper()
	s, err := mailin.Start("127.0.0.1:0", r, mailin.AcceptUnauthenticated{}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// send delivers raw with a real SMTP client and returns the DATA (or
// earlier) error.
func send(t *testing.T, addr, from string, to []string, raw string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(strings.ReplaceAll(raw, "\n", "\r\n"))); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func smtpCode(t *testing.T, err error) int {
	t.Helper()
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want an SMTP reply", err)
	}
	return se.Code
}

func only(t *testing.T, r *fakeRouter) conversations.InboundMessage {
	t.Helper()
	calls := r.got()
	if len(calls) != 1 {
		t.Fatalf("router got %d calls, want 1", len(calls))
	}
	return calls[0]
}

func TestReplyThreadsByInReplyTo(t *testing.T) {
	r := &fakeRouter{}
	s := start(t, r)
	raw := `From: Jane Doe <` + customer + `>
To: Acme <` + entryPoint + `>
Subject: Re: Your order
Message-ID: <reply-1@customer.example>
In-Reply-To: <` + id1 + `>
References: <` + id1 + `>

Thanks!
`
	if err := send(t, s.Addr(), "bounces@customer.example", []string{entryPoint}, raw); err != nil {
		t.Fatal(err)
	}
	m := only(t, r)
	if m.Thread != conv1 || m.Channel != model.Email || m.To != entryPoint || m.From != customer ||
		m.Subject != "Re: Your order" || m.Text != "Thanks!" || m.ProviderID != "reply-1@customer.example" {
		t.Fatalf("routed %+v", m)
	}
}

func TestReplyThreadsByReferences(t *testing.T) {
	r := &fakeRouter{}
	s := start(t, r)
	raw := `From: ` + customer + `
To: ` + entryPoint + `
Subject: Re: Your order
Message-ID: <reply-2@customer.example>
References: <older@customer.example> <` + id1 + `>
 <other@customer.example>

Any news?
`
	if err := send(t, s.Addr(), customer, []string{entryPoint}, raw); err != nil {
		t.Fatal(err)
	}
	if m := only(t, r); m.Thread != conv1 {
		t.Fatalf("Thread = %q, want %q", m.Thread, conv1)
	}
}

func TestNewMailWithoutThreading(t *testing.T) {
	r := &fakeRouter{}
	s := start(t, r)
	raw := `From: ` + customer + `
To: ` + entryPoint + `
Subject: Question about billing
Message-ID: <new-1@customer.example>

Hello,
why was I charged twice?
`
	if err := send(t, s.Addr(), customer, []string{entryPoint}, raw); err != nil {
		t.Fatal(err)
	}
	m := only(t, r)
	if m.Thread != "" || m.Subject != "Question about billing" || m.Text != "Hello,\nwhy was I charged twice?" ||
		m.HTML != "" || m.From != customer || m.To != entryPoint {
		t.Fatalf("routed %+v", m)
	}
}

func TestMultipartHTMLSanitised(t *testing.T) {
	r := &fakeRouter{}
	s := start(t, r)
	raw := `From: ` + customer + `
To: ` + entryPoint + `
Subject: Photo
Message-ID: <html-1@customer.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

See the photo.
--b1
Content-Type: text/html; charset=utf-8

<html><body><p onclick="steal()">See the <a href="https://photos.example/1">photo</a>.</p><script>alert(1)</script><img src="https://photos.example/1.jpg"></body></html>
--b1--
`
	if err := send(t, s.Addr(), customer, []string{entryPoint}, raw); err != nil {
		t.Fatal(err)
	}
	m := only(t, r)
	if m.Text != "See the photo." {
		t.Errorf("Text = %q", m.Text)
	}
	for _, bad := range []string{"script", "alert", "onclick", "steal"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML contains %q: %s", bad, m.HTML)
		}
	}
	for _, good := range []string{`href="https://photos.example/1"`, `src="https://photos.example/1.jpg"`, "<p>"} {
		if !strings.Contains(m.HTML, good) {
			t.Errorf("HTML lacks %q: %s", good, m.HTML)
		}
	}
}

func TestQuotedTextStripped(t *testing.T) {
	r := &fakeRouter{}
	s := start(t, r)
	raw := `From: ` + customer + `
To: ` + entryPoint + `
Subject: Re: Your order
In-Reply-To: <` + id1 + `>

Yes, Tuesday works.

On Mon, 3 Jun 2024 at 10:00, Acme Support <` + entryPoint + `> wrote:
> Would Tuesday work for the delivery?
>
> Alice
`
	if err := send(t, s.Addr(), customer, []string{entryPoint}, raw); err != nil {
		t.Fatal(err)
	}
	if m := only(t, r); m.Text != "Yes, Tuesday works." {
		t.Fatalf("Text = %q", m.Text)
	}
}

func TestRefusalIs550WithCode(t *testing.T) {
	r := &fakeRouter{err: func(conversations.InboundMessage) error {
		return codes.New(codes.NoEntryPoint, "no email entry point for this address")
	}}
	s := start(t, r)
	raw := "From: " + customer + "\nTo: nobody@acme.example\nSubject: hi\n\nhello\n"
	err := send(t, s.Addr(), customer, []string{"nobody@acme.example"}, raw)
	if code := smtpCode(t, err); code != 550 {
		t.Fatalf("code = %d (%v), want 550", code, err)
	}
	if !strings.Contains(err.Error(), "NO_ENTRY_POINT") {
		t.Fatalf("reply %q lacks the code", err)
	}
}

func TestInfrastructureErrorIs451(t *testing.T) {
	r := &fakeRouter{err: func(conversations.InboundMessage) error {
		return errors.New("temporal unavailable")
	}}
	s := start(t, r)
	raw := "From: " + customer + "\nTo: " + entryPoint + "\nSubject: hi\nMessage-ID: <x1@customer.example>\n\nhello\n"
	err := send(t, s.Addr(), customer, []string{entryPoint}, raw)
	if code := smtpCode(t, err); code != 451 {
		t.Fatalf("code = %d (%v), want 451", code, err)
	}
}

// What Temporal refuses for good is a 5xx (the sender's MTA stops); a rate
// limit, which also comes as ResourceExhausted, stays a 451.
func TestTemporalRefusalsArePermanent(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"blob over the limit", fmt.Errorf("failed workflow start: %w", serviceerror.NewInvalidArgument("Blob data size exceeds limit.")), 552},
		{"gRPC message over the limit", status.Error(grpccodes.ResourceExhausted, "grpc: received message larger than max (9437423 vs. 4194304)"), 552},
		{"malformed request", serviceerror.NewInvalidArgument("WorkflowId is not set on request."), 554},
		{"rate limited", serviceerror.NewResourceExhausted(enums.RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT, "namespace rate limit exceeded"), 451},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, &fakeRouter{err: func(conversations.InboundMessage) error { return tc.err }})
			raw := "From: " + customer + "\nTo: " + entryPoint + "\nSubject: hi\nMessage-ID: <big@customer.example>\n\nhello\n"
			if code := smtpCode(t, send(t, s.Addr(), customer, []string{entryPoint}, raw)); code != tc.want {
				t.Fatalf("code = %d, want %d", code, tc.want)
			}
		})
	}
}

func TestRecipientSyntaxRefusedAtRcpt(t *testing.T) {
	r := &fakeRouter{}
	s := start(t, r)
	for _, bad := range []string{"not-an-address", "two@at@signs", "spaces in@acme.example"} {
		err := send(t, s.Addr(), customer, []string{bad}, "Subject: x\n\nx\n")
		if code := smtpCode(t, err); code/100 != 5 {
			t.Errorf("RCPT %q: code %d, want 5xx", bad, code)
		}
	}
	if n := len(r.got()); n != 0 {
		t.Fatalf("router got %d calls", n)
	}
}

func TestLimits(t *testing.T) {
	r := &fakeRouter{}
	s := start(t, r)

	var rcpts []string
	for i := 0; i <= mailin.MaxRecipients; i++ {
		rcpts = append(rcpts, "ep"+strings.Repeat("x", i)+"@acme.example")
	}
	if code := smtpCode(t, send(t, s.Addr(), customer, rcpts, "Subject: x\n\nx\n")); code != 452 {
		t.Errorf("too many recipients: code %d, want 452", code)
	}

	big := "From: " + customer + "\nSubject: big\n\n" + strings.Repeat(strings.Repeat("a", 999)+"\n", mailin.MaxMessageBytes/1000+10)
	if code := smtpCode(t, send(t, s.Addr(), customer, []string{entryPoint}, big)); code != 552 {
		t.Errorf("too large: code %d, want 552", code)
	}
	if n := len(r.got()); n != 0 {
		t.Fatalf("router got %d calls", n)
	}
}
