// Package mailin receives customer email over SMTP and routes each message
// into its conversation. It parses MIME with enmime, threads replies by the
// Message-IDs the service generated (In-Reply-To, then References), sanitises
// HTML and drops clearly marked quoted text before handing the message to a
// Router.
//
// Every recipient it accepts must be an entry point, which the Router
// decides. Each message's sender is authenticated (auth.go): one that fails
// is kept, marked, and never joins an open conversation by its From alone.
// Limits (size, recipients, connections, timeouts) are set so that it can
// face the Internet.
package mailin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"os"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	grpccodes "google.golang.org/grpc/codes"

	"github.com/emersion/go-smtp"
	"go.uber.org/zap"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// Router routes one inbound customer message and returns the conversation id
// it landed in. *conversations.Client implements it. A refusal (an error
// carrying a codes.Code, e.g. NO_ENTRY_POINT) is final; any other error is
// treated as temporary.
type Router interface {
	// Inbound hands the message to the customer's record, which drops a
	// sender's retry of a Message-ID it has routed.
	Inbound(ctx context.Context, m conversations.InboundMessage) error
	// DeliveryStatus records a bounce as the failure of the message it names.
	DeliveryStatus(ctx context.Context, conversation, messageID, status, errText string) error
}

// Limits of a message (see Limits for those of the senders).
const (
	// MaxMessageBytes is the largest message accepted (552 beyond).
	MaxMessageBytes = 10 << 20
	// MaxRecipients is the most RCPT TO per message (452 beyond; the
	// sending MTA sends the rest in another transaction).
	MaxRecipients = 10
	// MaxLineBytes bounds a line, of a command or of a message: RFC 5321
	// allows 1,000, but mailers send longer ones (HTML without line breaks)
	// and a customer's message is not refused for it. A longer line is a
	// permanent 552, never a 451 that the sender would retry for days.
	MaxLineBytes = 1 << 20

	readTimeout  = 2 * time.Minute
	writeTimeout = time.Minute
	// routeTimeout bounds one Router.Inbound call; past it the sender gets
	// a 451 and retries.
	routeTimeout = 30 * time.Second
	// authTimeout bounds the DNS lookups of one sender authentication.
	authTimeout = 10 * time.Second
)

// Server is a running inbound SMTP receiver.
type Server struct {
	smtp   *smtp.Server
	ln     net.Listener
	limits Limits
	large  chan struct{} // a token per large message being read and parsed
	router Router
	auth   Authenticator
	log    *zap.Logger
	ctx    context.Context // cancelled by Close: aborts routing in flight
	cancel context.CancelFunc
	done   chan struct{}
}

// Start listens on addr (e.g. "127.0.0.1:2525", or ":0" for any free port)
// and serves in the background within DefaultLimits, authenticating senders
// with auth. Bind errors are returned here.
func Start(addr string, router Router, auth Authenticator, log *zap.Logger) (*Server, error) {
	return StartLimited(addr, router, auth, log, DefaultLimits)
}

// StartLimited is Start within other limits.
func StartLimited(addr string, router Router, auth Authenticator, log *zap.Logger, limits Limits) (*Server, error) {
	if router == nil || auth == nil {
		return nil, errors.New("mailin: a router and an authenticator are required")
	}
	if limits.Connections < 1 || limits.PerAddress < 1 || limits.Idle <= 0 || limits.LargeMessages < 1 {
		return nil, fmt.Errorf("mailin: limits must all be positive: %+v", limits)
	}
	if log == nil {
		log = zap.NewNop()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mailin: listen %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		ln:     newLimitListener(ln, limits),
		limits: limits,
		large:  make(chan struct{}, limits.LargeMessages),
		router: router,
		auth:   auth,
		log:    log.Named("smtp-in"),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	s.smtp = s.newSMTPServer()
	go s.serve()
	s.log.Info("inbound smtp listening", zap.String("addr", s.Addr()), zap.Stringer("senderAuthentication", auth))
	return s, nil
}

func (s *Server) newSMTPServer() *smtp.Server {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	if h, err := os.Hostname(); err == nil && h != "" {
		srv.Domain = h
	}
	srv.MaxMessageBytes = MaxMessageBytes
	srv.MaxRecipients = MaxRecipients
	srv.MaxLineLength = MaxLineBytes
	srv.ReadTimeout = readTimeout
	srv.WriteTimeout = writeTimeout
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = zap.NewStdLog(s.log)
	return srv
}

func (s *Server) serve() {
	defer close(s.done)
	if err := s.smtp.Serve(s.ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		s.log.Error("inbound smtp stopped", zap.Error(err))
	}
}

// Addr is the actual host:port, useful when started on port 0.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops accepting, drops open connections and aborts routing in
// flight; a sender whose DATA was not answered retries later.
func (s *Server) Close() error {
	s.cancel()
	err := s.smtp.Close()
	// go-smtp only learns about the listener once Serve runs; closing it
	// here too keeps a Close racing a just-started Serve from hanging.
	_ = s.ln.Close()
	<-s.done
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// session is one SMTP transaction state on one connection.
type session struct {
	srv   *Server
	conn  *smtp.Conn
	from  string // MAIL FROM; empty for a bounce
	rcpts []string
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	x.active() // a transaction: the session is not idle
	return nil
}

// active restarts the session's idle timeout (Limits.Idle).
func (x *session) active() {
	if c, ok := x.conn.Conn().(*limitedConn); ok {
		c.active(x.srv.limits.Idle)
	}
}

// busy holds the idle timeout off while the session works.
func (x *session) busy() {
	if c, ok := x.conn.Conn().(*limitedConn); ok {
		c.busy()
	}
}

// Rcpt refuses recipients that are not addresses at all; whether an address
// is an entry point is the Router's decision, made once the message is in.
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !plausibleAddress(to) {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Recipient is not a valid address"}
	}
	x.rcpts = append(x.rcpts, to)
	return nil
}

func (x *session) Reset() { x.from, x.rcpts = "", nil }

func (x *session) Logout() error { return nil }

func (x *session) Data(r io.Reader) error {
	x.busy()
	defer x.active()
	raw, release, err := x.srv.read(r)
	if err != nil {
		return err
	}
	defer release()
	msg, err := Parse(raw, x.from)
	if err != nil {
		x.srv.log.Info("malformed email refused", zap.Int("bytes", len(raw)))
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Malformed message"}
	}
	if msg.Bounced {
		return x.srv.bounce(msg)
	}
	x.authenticate(raw, &msg)
	x.srv.log.Info("email received", zap.String("message_id", msg.MessageID),
		zap.Int("bytes", len(raw)), zap.Int("rcpts", len(x.rcpts)), zap.String("thread", msg.Thread))
	return x.srv.route(msg, x.rcpts)
}

// read reads a message. Past largeMessage bytes it waits for one of the
// places of large messages (Limits.LargeMessages), held until release, so
// the memory that messages take stays bounded; one that waits too long is
// answered 451.
func (s *Server) read(r io.Reader) (raw []byte, release func(), err error) {
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, r, largeMessage); errors.Is(err, io.EOF) {
		return buf.Bytes(), func() {}, nil
	} else if err != nil {
		return nil, nil, readFailure(err)
	}
	wait := time.NewTimer(largeWait)
	defer wait.Stop()
	select {
	case s.large <- struct{}{}:
	case <-wait.C:
		s.log.Warn("too many large messages at once; one is deferred")
		return nil, nil, tempFailure("Too many large messages at once, try again later")
	case <-s.ctx.Done():
		return nil, nil, tempFailure("Shutting down, try again later")
	}
	release = func() { <-s.large }
	if _, err := io.Copy(&buf, r); err != nil {
		release()
		return nil, nil, readFailure(err)
	}
	return buf.Bytes(), release, nil
}

// readFailure answers a DATA that could not be read: too large or a line
// too long is permanent, anything else (the connection broke) temporary.
func readFailure(err error) error {
	var smtpErr *smtp.SMTPError
	switch {
	case errors.As(err, &smtpErr):
		return smtpErr // 552 message too large
	case errors.Is(err, smtp.ErrTooLongLine):
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: fmt.Sprintf("A line is longer than %d KiB", MaxLineBytes>>10)}
	}
	return tempFailure("Reading the message failed")
}

// authenticate marks a message whose sender is not authenticated.
func (x *session) authenticate(raw []byte, msg *Message) {
	e := Envelope{HELO: x.conn.Hostname(), MailFrom: x.from}
	if addr, ok := x.conn.Conn().RemoteAddr().(*net.TCPAddr); ok {
		e.IP = addr.IP
	}
	header := mail.Header{}
	if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		header = m.Header
	}
	ctx, cancel := context.WithTimeout(x.srv.ctx, authTimeout)
	defer cancel()
	pass, reason := x.srv.auth.Authenticate(ctx, raw, header, msg.From, e)
	msg.Unauthenticated = !pass
	x.srv.log.Info("sender authentication", zap.String("message_id", msg.MessageID), zap.Bool("pass", pass), zap.String("reason", reason))
}

// bounce records a delivery failure report as the failure of the outbound
// message it names; it is never routed as a customer's reply.
func (s *Server) bounce(msg Message) error {
	b := msg.Bounce
	if b == nil {
		s.log.Info("bounce naming no message of the service, dropped", zap.String("message_id", msg.MessageID))
		return nil
	}
	ctx, cancel := context.WithTimeout(s.ctx, routeTimeout)
	defer cancel()
	err := s.router.DeliveryStatus(ctx, b.Conversation, b.Message, model.MessageFailed, b.Reason)
	if _, _, refused := codes.Of(err); err != nil && !refused {
		s.log.Warn("recording a bounce failed, sender will retry", zap.String("conversation", b.Conversation), zap.Error(err))
		return tempFailure("Temporary failure recording the report, try again later")
	}
	s.log.Info("bounce recorded", zap.String("conversation", b.Conversation), zap.String("message", b.Message), zap.Error(err))
	return nil
}

// route hands the message to the Router once per recipient and folds the
// outcomes into one SMTP reply: any temporary failure → 451 (the sender
// retries; the records drop the recipients already routed), else all refused →
// 550 with the first refusal's code, or the 5xx of what Temporal refused for
// good (permanentFailure), else 250. A refusal next to a success
// cannot be reported after DATA in SMTP; it is logged.
func (s *Server) route(msg Message, rcpts []string) error {
	ctx, cancel := context.WithTimeout(s.ctx, routeTimeout)
	defer cancel()
	var (
		accepted  int
		temporary bool
		refusal   *smtp.SMTPError
	)
	for _, rcpt := range rcpts {
		err := s.router.Inbound(ctx, msg.Inbound(rcpt))
		if err == nil {
			accepted++
			s.log.Info("email accepted", zap.String("message_id", msg.MessageID))
			continue
		}
		if code, text, ok := codes.Of(err); ok {
			// The refusal text may name addresses: it goes to the sender, not the log.
			s.log.Info("email refused", zap.String("message_id", msg.MessageID), zap.String("code", string(code)))
			if refusal == nil {
				refusal = refusalReply(code, text)
			}
			continue
		}
		if reply := permanentFailure(err); reply != nil {
			s.log.Warn("email refused by Temporal, for good", zap.String("message_id", msg.MessageID), zap.Error(err))
			if refusal == nil {
				refusal = reply
			}
			continue
		}
		temporary = true
		s.log.Warn("routing email failed, sender will retry", zap.String("message_id", msg.MessageID), zap.Error(err))
	}
	switch {
	case temporary:
		return tempFailure("Temporary failure routing the message, try again later")
	case accepted == 0 && refusal != nil:
		return refusal
	}
	return nil
}

// refusalReply is the permanent 550 for a Router refusal, carrying the code.
func refusalReply(code codes.Code, text string) *smtp.SMTPError {
	enh := smtp.EnhancedCode{5, 7, 1} // delivery not authorised
	switch code {
	case codes.NoEntryPoint:
		enh = smtp.EnhancedCode{5, 1, 1} // bad destination mailbox
	case codes.InvalidAddress:
		enh = smtp.EnhancedCode{5, 1, 7} // bad sender's mailbox syntax
	}
	msg := string(code)
	if text = oneLine(text); text != "" {
		msg += ": " + text
	}
	return &smtp.SMTPError{Code: 550, EnhancedCode: enh, Message: msg}
}

// oneLine makes text safe for an SMTP reply line: printable ASCII, bounded.
func oneLine(text string) string {
	var b strings.Builder
	for _, r := range text {
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			b.WriteByte(' ')
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
		if b.Len() >= 200 {
			break
		}
	}
	return strings.TrimSpace(b.String())
}

// tempFailure is a 451: go-smtp turns any other error into a 554, which the
// sender would treat as permanent.
// permanentFailure is the reply to a failure that sending the same message
// again cannot change: Temporal refused the request itself (a payload over
// its blob size limit or its gRPC message size: 552; otherwise malformed:
// 554). nil for any other failure. Answering those with 4xx had the
// sender's MTA retry for days.
func permanentFailure(err error) *smtp.SMTPError {
	var invalid *serviceerror.InvalidArgument
	st := serviceerror.ToStatus(err)
	tooLarge := strings.Contains(err.Error(), "size exceeds limit") || strings.Contains(err.Error(), "larger than max")
	switch {
	case tooLarge && (errors.As(err, &invalid) || st.Code() == grpccodes.ResourceExhausted):
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big for this service"}
	case errors.As(err, &invalid):
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "The service cannot accept this message"}
	}
	return nil
}

func tempFailure(msg string) error {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: msg}
}

// plausibleAddress accepts what parses as a bare RFC 5322 addr-spec.
func plausibleAddress(a string) bool {
	if a == "" || len(a) > 254 {
		return false
	}
	addr, err := mail.ParseAddress(a)
	return err == nil && addr.Name == "" && strings.Contains(addr.Address, "@")
}

// Message is one parsed inbound email, independent of its recipients.
type Message struct {
	From      string // the sender's address: From header, else MAIL FROM
	Subject   string
	Text      string // plain text (derived from HTML when there is none), quoted reply removed
	HTML      string // sanitised; empty when the mail has no HTML part
	MessageID string // without angle brackets; empty when the mail has none
	Thread    string // the service conversation named by In-Reply-To / References, if any
	AutoReply bool   // an out-of-office or other automatic answer (RFC 3834)
	// Unauthenticated: the From may not be the sender's (auth.go).
	Unauthenticated bool
	// Bounced is a delivery failure report, not a customer's message; Bounce
	// is the outbound message it names (nil: none of the service's).
	Bounced bool
	Bounce  *Bounce
}

// Inbound is the message as it goes to the Router for one recipient.
func (m Message) Inbound(to string) conversations.InboundMessage {
	return conversations.InboundMessage{
		Channel: model.Email,
		To:      to,
		From:    m.From,
		Thread:  m.Thread,
		CustomerMessage: model.CustomerMessage{
			Text:            m.Text,
			HTML:            m.HTML,
			Subject:         m.Subject,
			ProviderID:      m.MessageID,
			Auto:            m.AutoReply,
			Unauthenticated: m.Unauthenticated,
		},
	}
}
