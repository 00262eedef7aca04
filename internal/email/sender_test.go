package email_test

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"outbound/internal/delivery"
	"outbound/internal/dev/sinks"
	"outbound/internal/email"
)

func startSink(t *testing.T) (*sinks.SMTPSink, string) {
	t.Helper()
	dir := t.TempDir()
	sink, err := sinks.StartSMTP("127.0.0.1:0", dir, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	return sink, dir
}

func senderFor(t *testing.T, addr string) *email.Sender {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return &email.Sender{Host: host, Port: p, Timeout: 5 * time.Second}
}

func sampleMessage() email.Message {
	return email.Message{
		From:       "support@acme.example",
		To:         "customer@example.org",
		Subject:    "Siparişiniz hakkında — Grüße ✓",
		Text:       "Hello,\nyour order has shipped.\n",
		HTML:       "<p>Hello,<br>your order has <b>shipped</b>.</p>",
		MessageID:  "m3.conv-acme-ep-email-ab12.runid@acme.example",
		InReplyTo:  "m2.conv-acme-ep-email-ab12.runid@acme.example",
		References: []string{"m1.conv-acme-ep-email-ab12.runid@acme.example", "<m2.conv-acme-ep-email-ab12.runid@acme.example>"},
		Headers:    map[string]string{"X-Conversation-Id": "conv-acme-ep-email-ab12"},
	}
}

func emlFiles(t *testing.T, outbox string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(outbox, "email", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func readSingle(t *testing.T, outbox string) *mail.Message {
	t.Helper()
	files := emlFiles(t, outbox)
	if len(files) != 1 {
		t.Fatalf("want 1 .eml file, got %v", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	msg, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestSendToSinkMultipartAlternative(t *testing.T) {
	sink, outbox := startSink(t)
	m := sampleMessage()
	if err := senderFor(t, sink.Addr()).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msg := readSingle(t, outbox)
	h := msg.Header

	wantHeaders := map[string]string{
		"Message-Id":        "<m3.conv-acme-ep-email-ab12.runid@acme.example>",
		"In-Reply-To":       "<m2.conv-acme-ep-email-ab12.runid@acme.example>",
		"References":        "<m1.conv-acme-ep-email-ab12.runid@acme.example> <m2.conv-acme-ep-email-ab12.runid@acme.example>",
		"X-Conversation-Id": "conv-acme-ep-email-ab12",
	}
	for k, want := range wantHeaders {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if subj, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil || subj != m.Subject {
		t.Errorf("Subject decodes to %q (%v), want %q", subj, err, m.Subject)
	}
	if from, err := h.AddressList("From"); err != nil || from[0].Address != m.From {
		t.Errorf("From = %v (%v)", from, err)
	}
	if to, err := h.AddressList("To"); err != nil || to[0].Address != m.To {
		t.Errorf("To = %v (%v)", to, err)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date header: %v", err)
	}

	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", h.Get("Content-Type"), err)
	}
	var types []string
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		body, _ := io.ReadAll(p) // multipart.Part decodes quoted-printable
		if ct == "text/html" && !strings.Contains(string(body), "<b>shipped</b>") {
			t.Errorf("html part = %q", body)
		}
		if ct == "text/plain" && !strings.Contains(string(body), "your order has shipped") {
			t.Errorf("text part = %q", body)
		}
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Errorf("parts = %v, want text/plain then text/html", types)
	}
}

func TestSendTextOnlyIsSinglePart(t *testing.T) {
	sink, outbox := startSink(t)
	m := sampleMessage()
	m.HTML, m.InReplyTo, m.References = "", "", nil
	if err := senderFor(t, sink.Addr()).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	h := readSingle(t, outbox).Header
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt != "text/plain" {
		t.Errorf("Content-Type = %q, want text/plain", h.Get("Content-Type"))
	}
	if h.Get("In-Reply-To") != "" || h.Get("References") != "" {
		t.Errorf("unexpected threading headers on a first message")
	}
}

func TestSameMessageIDTwiceGivesOneFile(t *testing.T) {
	sink, outbox := startSink(t)
	s := senderFor(t, sink.Addr())
	for range 2 {
		if err := s.Send(context.Background(), sampleMessage()); err != nil {
			t.Fatal(err)
		}
	}
	if files := emlFiles(t, outbox); len(files) != 1 {
		t.Fatalf("want 1 file after a re-delivery, got %v", files)
	}
	other := sampleMessage()
	other.MessageID = "m4.conv-acme-ep-email-ab12.runid@acme.example"
	if err := s.Send(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if files := emlFiles(t, outbox); len(files) != 2 {
		t.Fatalf("want 2 files for 2 message ids, got %v", files)
	}
}

func TestSendWithCredentialsUsesAuthPlainOnLoopback(t *testing.T) {
	sink, outbox := startSink(t)
	s := senderFor(t, sink.Addr())
	s.Username, s.Password = "agent", "secret"
	if err := s.Send(context.Background(), sampleMessage()); err != nil {
		t.Fatal(err)
	}
	readSingle(t, outbox)
}

func TestInvalidMessageIsPermanent(t *testing.T) {
	// No server: validation must fail before any connection is attempted.
	s := &email.Sender{Host: "127.0.0.1", Port: 1, Timeout: time.Second}
	cases := map[string]func(*email.Message){
		"bad from":        func(m *email.Message) { m.From = "not an address" },
		"bad to":          func(m *email.Message) { m.To = "" },
		"no message id":   func(m *email.Message) { m.MessageID = "" },
		"message id no @": func(m *email.Message) { m.MessageID = "abc" },
		"bad reference":   func(m *email.Message) { m.References = []string{"a b@c"} },
		"reserved header": func(m *email.Message) { m.Headers = map[string]string{"subject": "x"} },
		"bad header name": func(m *email.Message) { m.Headers = map[string]string{"X-Bad:Name": "x"} },
	}
	for name, mutate := range cases {
		m := sampleMessage()
		mutate(&m)
		err := s.Send(context.Background(), m)
		if err == nil || !delivery.IsPermanent(err) {
			t.Errorf("%s: err = %v, want a permanent error", name, err)
		}
	}
}

func TestHeaderValueCannotInjectHeaders(t *testing.T) {
	sink, outbox := startSink(t)
	m := sampleMessage()
	m.Headers = map[string]string{"X-Conversation-Id": "abc\r\nBcc: evil@example.net"}
	if err := senderFor(t, sink.Addr()).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if h := readSingle(t, outbox).Header; h.Get("Bcc") != "" {
		t.Fatalf("header injection produced Bcc: %q", h.Get("Bcc"))
	}
}
