package sinks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"go.uber.org/zap"
)

// SMTPSink is an SMTP server that accepts every message and stores it in
// <outbox>/email/<name>.eml exactly as received.
type SMTPSink struct {
	server *smtp.Server
	ln     net.Listener
	dir    string
	log    *zap.Logger
	done   chan struct{}
}

// maxMessageBytes matches common provider limits; bigger is a client bug.
const maxMessageBytes = 25 << 20

// StartSMTP listens on addr (e.g. "127.0.0.1:0") and serves in the background.
// Listening happens before returning so Addr is known and bind errors surface
// here rather than in a goroutine.
func StartSMTP(addr string, outboxDir string, log *zap.Logger) (*SMTPSink, error) {
	if log == nil {
		log = zap.NewNop()
	}
	dir := filepath.Join(outboxDir, "email")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("dev sink: create %s: %w", dir, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dev sink: smtp listen %s: %w", addr, err)
	}
	s := &SMTPSink{ln: ln, dir: dir, log: log.Named("smtp-sink"), done: make(chan struct{})}
	s.server = newSMTPServer(s)
	go s.serve()
	s.log.Info("smtp sink listening", zap.String("addr", s.Addr()), zap.String("dir", dir))
	return s, nil
}

func newSMTPServer(s *SMTPSink) *smtp.Server {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{sink: s}, nil
	}))
	srv.Domain = "localhost"
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = 100
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	// No TLS on loopback, yet clients configured with credentials still need
	// AUTH to be advertised, so allow it in clear.
	srv.AllowInsecureAuth = true
	srv.ErrorLog = zap.NewStdLog(s.log)
	return srv
}

func (s *SMTPSink) serve() {
	defer close(s.done)
	if err := s.server.Serve(s.ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		s.log.Error("smtp sink stopped", zap.Error(err))
	}
}

// Addr is the actual host:port, useful when started on port 0.
func (s *SMTPSink) Addr() string { return s.ln.Addr().String() }

// Close stops accepting and drops open connections; a message whose DATA has
// not completed is not stored, like a real server crashing mid-transaction.
func (s *SMTPSink) Close() error {
	err := s.server.Close()
	// go-smtp only learns about the listener once Serve runs; closing it here
	// too avoids a Close racing a just-started Serve and blocking forever.
	_ = s.ln.Close()
	<-s.done
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// store writes one message; the name comes from its Message-ID so that a
// retried delivery replaces the earlier copy.
func (s *SMTPSink) store(raw []byte) (string, error) {
	name := ""
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		name = fileNameForMessageID(msg.Header.Get("Message-ID"))
	}
	if name == "" {
		name = fallbackName(time.Now())
	}
	path := filepath.Join(s.dir, name+".eml")
	return path, writeFileAtomic(path, raw)
}

// session is one SMTP connection. Envelope addresses are accepted as given.
type session struct {
	sink *SMTPSink
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth accepts any credentials: the sink exists to receive, not to guard.
func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(string, string, string) error { return nil }), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		var smtpErr *smtp.SMTPError
		if errors.As(err, &smtpErr) {
			return smtpErr // e.g. 552 message too large
		}
		return tempFailure("reading message failed")
	}
	path, err := x.sink.store(raw)
	if err != nil {
		x.sink.log.Error("storing message failed", zap.Error(err))
		return tempFailure("storing message failed")
	}
	x.sink.log.Info("email received", zap.String("file", path), zap.Int("bytes", len(raw)), zap.Int("rcpts", len(x.to)))
	return nil
}

// tempFailure is a 451: go-smtp turns any other error into a 554, which a
// client would treat as permanent although a local disk hiccup is not.
func tempFailure(msg string) error {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: msg}
}

func (x *session) Reset() { x.from, x.to = "", nil }

func (x *session) Logout() error { return nil }
