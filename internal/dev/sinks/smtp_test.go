package sinks_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"go.uber.org/zap/zaptest"

	"outbound/internal/dev/sinks"
)

func startSMTP(t *testing.T, dir string) *sinks.SMTPSink {
	t.Helper()
	sink, err := sinks.StartSMTP("127.0.0.1:0", dir, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	return sink
}

// sendRaw delivers raw over plain SMTP; go-smtp's SendMail insists on
// STARTTLS, which the sink deliberately does not offer.
func sendRaw(addr string, auth sasl.Client, from string, to []string, raw io.Reader) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	if err := c.SendMail(from, to, raw); err != nil {
		return err
	}
	return c.Quit()
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestSMTPStoresRawBytes(t *testing.T) {
	dir := t.TempDir()
	sink := startSMTP(t, dir)
	raw := "From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n" +
		"Message-ID: <x1@example.org>\r\n\r\n.leading dot survives unstuffing\r\nbye\r\n"
	if err := sendRaw(sink.Addr(), nil, "a@example.org", []string{"b@example.org"}, strings.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "email", "x1@example.org.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != raw {
		t.Fatalf("stored bytes differ:\n%q\nwant\n%q", got, raw)
	}
}

func TestSMTPWithoutMessageIDUsesUniqueNames(t *testing.T) {
	dir := t.TempDir()
	sink := startSMTP(t, dir)
	raw := "From: a@example.org\r\nTo: b@example.org\r\nSubject: no id\r\n\r\nbody\r\n"
	for range 2 {
		if err := sendRaw(sink.Addr(), nil, "a@example.org", []string{"b@example.org"}, strings.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
	}
	names := listDir(t, filepath.Join(dir, "email"))
	if len(names) != 2 {
		t.Fatalf("want 2 files, got %v", names)
	}
	for _, n := range names {
		if !strings.HasSuffix(n, ".eml") || strings.HasPrefix(n, ".") {
			t.Errorf("unexpected file %q", n)
		}
	}
}

func TestSMTPHostileMessageIDStaysInOutbox(t *testing.T) {
	dir := t.TempDir()
	sink := startSMTP(t, dir)
	raw := "From: a@example.org\r\nTo: b@example.org\r\nMessage-ID: <../../escape@x>\r\n\r\nbody\r\n"
	if err := sendRaw(sink.Addr(), nil, "a@example.org", []string{"b@example.org"}, strings.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	if names := listDir(t, filepath.Join(dir, "email")); len(names) != 1 {
		t.Fatalf("want 1 file inside the outbox, got %v", names)
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Fatalf("something was written outside outbox/email: %v", names)
	}
}

func TestSMTPAcceptsAuthPlain(t *testing.T) {
	dir := t.TempDir()
	sink := startSMTP(t, dir)
	auth := sasl.NewPlainClient("", "user", "pass")
	raw := "From: a@example.org\r\nTo: b@example.org\r\nMessage-ID: <auth@x>\r\n\r\nbody\r\n"
	if err := sendRaw(sink.Addr(), auth, "a@example.org", []string{"b@example.org"}, strings.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	if names := listDir(t, filepath.Join(dir, "email")); len(names) != 1 {
		t.Fatalf("want 1 file, got %v", names)
	}
}

func TestSMTPCloseRightAfterStart(t *testing.T) {
	sink, err := sinks.StartSMTP("127.0.0.1:0", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}
