package email_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"outbound/internal/delivery"
)

// failingSession answers `code` at `stage` (helo, mail, rcpt or data).
type failingSession struct {
	stage string
	code  int
}

func (f *failingSession) fail(stage string) error {
	if stage != f.stage {
		return nil
	}
	return &smtp.SMTPError{Code: f.code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "test refusal"}
}

func (f *failingSession) Reset()                               {}
func (f *failingSession) Logout() error                        { return nil }
func (f *failingSession) Mail(string, *smtp.MailOptions) error { return f.fail("mail") }
func (f *failingSession) Rcpt(string, *smtp.RcptOptions) error { return f.fail("rcpt") }
func (f *failingSession) Data(r io.Reader) error {
	_, _ = io.Copy(io.Discard, r)
	return f.fail("data")
}

// startFailingServer runs a real go-smtp server that refuses at one stage.
func startFailingServer(t *testing.T, stage string, code int) string {
	t.Helper()
	be := smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		if stage == "helo" {
			return nil, &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "go away"}
		}
		return &failingSession{stage: stage, code: code}, nil
	})
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); _ = ln.Close() })
	return ln.Addr().String()
}

func TestSMTPReplyClassification(t *testing.T) {
	cases := []struct {
		stage     string
		code      int
		permanent bool
	}{
		{"rcpt", 550, true},
		{"rcpt", 451, false},
		{"mail", 553, true},
		{"mail", 421, false},
		{"data", 554, true},
		{"data", 452, false},
		{"helo", 554, true},
		{"helo", 421, false},
	}
	for _, c := range cases {
		addr := startFailingServer(t, c.stage, c.code)
		err := senderFor(t, addr).Send(context.Background(), sampleMessage())
		if err == nil {
			t.Errorf("%s %d: no error", c.stage, c.code)
			continue
		}
		if got := delivery.IsPermanent(err); got != c.permanent {
			t.Errorf("%s %d: IsPermanent = %v, want %v (err: %v)", c.stage, c.code, got, c.permanent, err)
		}
	}
}

func TestClosedPortIsTransient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	err = senderFor(t, addr).Send(context.Background(), sampleMessage())
	if err == nil || delivery.IsPermanent(err) {
		t.Fatalf("err = %v, want a transient error", err)
	}
}

// silentServer accepts connections and never greets, like a hung MTA.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().String()
}

func TestTimeoutIsTransient(t *testing.T) {
	s := senderFor(t, silentServer(t))
	s.Timeout = 300 * time.Millisecond
	start := time.Now()
	err := s.Send(context.Background(), sampleMessage())
	if err == nil || delivery.IsPermanent(err) {
		t.Fatalf("err = %v, want a transient error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v; timeout not applied", d)
	}
}

func TestContextCancelAbortsStalledSession(t *testing.T) {
	s := senderFor(t, silentServer(t))
	s.Timeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Send(ctx, sampleMessage())
	if !errors.Is(err, context.DeadlineExceeded) || delivery.IsPermanent(err) {
		t.Fatalf("err = %v, want a transient context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v; context not honoured", d)
	}
}
