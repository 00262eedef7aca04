package email

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	mail "github.com/wneessen/go-mail"

	"outbound/internal/delivery"
)

// Sender delivers messages to one SMTP submission server. A connection is
// opened per Send: outbound conversation mail is low volume, and a fresh
// connection keeps retries independent of earlier failures.
type Sender struct {
	Host               string
	Port               int // 0 means 25
	Username, Password string
	StartTLS           bool          // require STARTTLS; when false it is used only if offered
	Timeout            time.Duration // per connection and per command; 0 means go-mail's default (15s)
}

// Send delivers m. A returned error is permanent (delivery.IsPermanent) only
// when the message itself is invalid or the server answered 5xx; refused
// connections, timeouts, cancellation and 4xx replies are transient.
//
// Once the server has accepted DATA the message counts as sent even if the
// closing RSET/QUIT fails, because reporting that as an error would make the
// caller send the message twice.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := m.build()
	if err != nil {
		return delivery.Permanent(fmt.Errorf("email: %w", err))
	}
	dialer := &ctxDialer{ctx: ctx}
	defer dialer.release()
	client, err := mail.NewClient(s.Host, s.options(dialer.dial)...)
	if err != nil {
		return delivery.Permanent(fmt.Errorf("email: configure smtp client: %w", err))
	}

	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return s.fail(ctx, "connect", err)
	}
	err = client.SendWithSMTPClient(sc, msg)
	if cerr := client.CloseWithSMTPClient(sc); cerr != nil {
		_ = sc.Close() // QUIT failed, so go-mail left the socket open
	}
	if err != nil && !msg.IsDelivered() {
		return s.fail(ctx, "send", err)
	}
	return nil
}

func (s *Sender) options(dial mail.DialContextFunc) []mail.Option {
	// go-mail defaults to mandatory TLS; plain mode must be asked for.
	policy := mail.TLSOpportunistic
	if s.StartTLS {
		policy = mail.TLSMandatory
	}
	opts := []mail.Option{mail.WithDialContextFunc(dial), mail.WithTLSPolicy(policy)}
	if s.Port != 0 {
		opts = append(opts, mail.WithPort(s.Port))
	}
	if s.Timeout > 0 {
		opts = append(opts, mail.WithTimeout(s.Timeout))
	}
	if s.Username != "" {
		// Pick the strongest mechanism the server offers. go-mail refuses
		// PLAIN/LOGIN without TLS except to localhost, so credentials never
		// cross the network in clear.
		opts = append(opts, mail.WithUsername(s.Username), mail.WithPassword(s.Password),
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthSCRAMSHA256, mail.SMTPAuthSCRAMSHA1,
				mail.SMTPAuthCramMD5, mail.SMTPAuthPlain, mail.SMTPAuthLogin))
	}
	return opts
}

func (s *Sender) fail(ctx context.Context, stage string, err error) error {
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.port()))
	if cerr := ctx.Err(); cerr != nil {
		// The cancellation closed the connection; report it as the cause.
		return fmt.Errorf("email: %s %s: %w (%v)", stage, addr, cerr, err)
	}
	return classify(fmt.Errorf("email: %s %s: %w", stage, addr, err))
}

func (s *Sender) port() int {
	if s.Port == 0 {
		return mail.DefaultPort
	}
	return s.Port
}

// ctxDialer ties the SMTP connection to the caller's context: go-mail only
// honours the context while dialing, so without this a cancelled activity
// would sit in a stalled SMTP exchange until the command timeout.
type ctxDialer struct {
	ctx  context.Context
	mu   sync.Mutex
	stop []func() bool
}

func (d *ctxDialer) dial(dctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	conn, err := nd.DialContext(dctx, network, addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(d.ctx, func() { _ = conn.Close() })
	d.mu.Lock()
	d.stop = append(d.stop, stop)
	d.mu.Unlock()
	return conn, nil
}

func (d *ctxDialer) release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, stop := range d.stop {
		stop()
	}
}
