// Package stack runs the whole service on one machine: an embedded Temporal
// server (and Web UI), the codec endpoint, SMTP and SMS API sinks that write
// to an outbox, an S3-compatible server, the worker, the gateway, the inbound
// SMTP receiver and (optionally) the Agent Desktop. `go run ./dev` and the
// tests (internal/dev/testenv) both start it here.
package stack

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"outbound/activities"
	"outbound/internal/api"
	"outbound/internal/archive"
	"outbound/internal/codec"
	"outbound/internal/dev/fakes3"
	"outbound/internal/dev/sinks"
	"outbound/internal/dev/temporalserver"
	"outbound/internal/directory"
	"outbound/internal/email"
	"outbound/internal/imagestore"
	"outbound/internal/logging"
	"outbound/internal/service"
	"outbound/internal/sms"
)

// Options shape a stack. A zero port is any free port.
type Options struct {
	// DataDir holds the outbox, the S3 objects and the desktop's session key;
	// with Persist also the Temporal database, so it all survives a restart.
	DataDir     string
	Persist     bool
	Directories map[string]*directory.Directory
	Ports       Ports
	Log         *zap.Logger
	IDKey       []byte                 // the customer-pseudonym key
	SMSToken    string                 // the SMS sink's auth token, which signs its webhooks
	PublicURL   string                 // where the provider posts (default: the gateway's URL)
	SMS         activities.SMSSender   // default: the SMS sink
	Email       activities.EmailSender // default: the SMTP sink
	Metrics     client.MetricsHandler  // optional
	Desktop     bool                   // serve the Agent Desktop with the dev sign-in
}

// Ports are where each part listens, on loopback.
type Ports struct {
	Temporal, UI, Codec int // UI: temporalserver.NoUI for none
	SMTPSink, SMSSink   int
	S3                  int
	Gateway, SMTPIn     int
	Desktop             int
}

// Stack is a running service.
type Stack struct {
	Server   *temporalserver.Server
	Temporal client.Client
	Worker   worker.Worker
	Key      []byte
	Codec    *codec.Keys // the payload keys every client here uses
	CodecURL string      // the codec endpoint (POST /encode, /decode)
	Outbox   string      // every message the sinks delivered
	SMSURL   string
	SMTPAddr string
	// GatewayURL serves the webhooks; MailinAddr takes customer emails.
	GatewayURL string
	MailinAddr string
	DesktopURL string // "" without Options.Desktop
	S3         *fakes3.Server
	Images     *imagestore.Store
	Archive    *archive.Store // older transcript pages, in the image bucket
	closers
}

// devAccountSID is the SMS account the stack's sink serves.
const devAccountSID = "ACdev"

// Start runs a stack until Close.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	s := &Stack{Key: o.IDKey, Outbox: filepath.Join(o.DataDir, "outbox")}
	defer func() {
		if err != nil { // s, not the nil the failing return names
			s.Close()
		}
	}()
	if err := s.startTemporal(ctx, o); err != nil {
		return nil, err
	}
	if err := s.startChannels(&o); err != nil {
		return nil, err
	}
	if err := s.startStorage(ctx, o); err != nil {
		return nil, err
	}
	gateway, err := listen(o.Ports.Gateway, "the gateway")
	if err != nil {
		return nil, err
	}
	s.GatewayURL = "http://" + gateway.Addr().String()
	if o.PublicURL == "" {
		o.PublicURL = s.GatewayURL
	}
	s.add(gateway.Close)
	if err := s.startWorker(ctx, o); err != nil {
		return nil, err
	}
	if err := s.startInbound(gateway, o); err != nil {
		return nil, err
	}
	return s, nil
}

// startTemporal runs the server, the codec endpoint its UI decrypts through,
// and a client.
func (s *Stack) startTemporal(ctx context.Context, o Options) error {
	keys, err := codec.FromEnv()
	if err != nil {
		return err
	}
	// The codec endpoint's address must be known before the UI starts.
	codecListener, err := listen(o.Ports.Codec, "the codec endpoint")
	if err != nil {
		return err
	}
	s.add(codecListener.Close)
	s.Codec, s.CodecURL = keys, "http://"+codecListener.Addr().String()
	opts := temporalserver.Options{
		Port: o.Ports.Temporal, UIPort: o.Ports.UI, CodecEndpoint: s.CodecURL,
		SearchAttributes: api.SearchAttributes(), Logger: o.Log.Named("temporal"),
	}
	if o.Persist {
		opts.DataDir = o.DataDir
	}
	if s.Server, err = temporalserver.Start(ctx, opts); err != nil {
		return fmt.Errorf("start the embedded Temporal server: %w", err)
	}
	s.add(s.Server.Stop)
	var origins []string
	if o.Ports.UI != temporalserver.NoUI {
		origins = codec.UIOrigins(s.Server.UIAddress())
	}
	// Open to whoever reaches it: it listens on loopback only.
	codecServer := codec.NewServer(keys, codec.Open, origins...)
	go func() { _ = codecServer.Serve(codecListener) }()
	s.add(codecServer.Close)

	clientOptions := client.Options{
		HostPort: s.Server.FrontendAddress(), Namespace: s.Server.Namespace(),
		Logger: logging.NewSDK(o.Log), MetricsHandler: o.Metrics,
	}
	codec.Configure(&clientOptions, keys)
	if s.Temporal, err = client.DialContext(ctx, clientOptions); err != nil {
		return fmt.Errorf("connect to the embedded Temporal server: %w", err)
	}
	s.add(func() error { s.Temporal.Close(); return nil })
	return nil
}

// startChannels runs the SMTP and SMS API sinks, and sends through them
// unless the options name other senders.
func (s *Stack) startChannels(o *Options) error {
	smtpSink, err := sinks.StartSMTP(loopback(o.Ports.SMTPSink), s.Outbox, o.Log)
	if err != nil {
		return fmt.Errorf("start the SMTP sink: %w", err)
	}
	s.add(smtpSink.Close)
	smsSink, err := sinks.StartSMS(loopback(o.Ports.SMSSink), s.Outbox, o.Log)
	if err != nil {
		return fmt.Errorf("start the SMS sink: %w", err)
	}
	s.add(smsSink.Close)
	s.SMSURL, s.SMTPAddr = smsSink.URL(), smtpSink.Addr()
	if o.SMS == nil {
		o.SMS = &sms.Client{BaseURL: smsSink.URL(), AccountSID: devAccountSID, AuthToken: o.SMSToken}
	}
	if o.Email == nil {
		host, port, err := net.SplitHostPort(smtpSink.Addr())
		if err != nil {
			return err
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return err
		}
		o.Email = &email.Sender{Host: host, Port: p}
	}
	return nil
}

// startStorage runs the S3 server, the image store on it and the transcript
// archive in the same bucket.
func (s *Stack) startStorage(ctx context.Context, o Options) error {
	fake, err := fakes3.Start(filepath.Join(o.DataDir, "s3"), loopback(o.Ports.S3))
	if err != nil {
		return fmt.Errorf("start the S3 server: %w", err)
	}
	s.add(fake.Close)
	s.S3 = fake
	if s.Images, err = imagestore.New(ctx, fake.Config(imagestore.DevBucket)); err != nil {
		return err
	}
	s.Archive, err = archive.New(s.Images, s.Codec)
	return err
}

// startWorker runs the worker and publishes the directories.
func (s *Stack) startWorker(ctx context.Context, o Options) error {
	acts := &activities.Activities{
		Directories: o.Directories, Temporal: s.Temporal, Email: o.Email, SMS: o.SMS, IDKey: s.Key,
		PublicURL: o.PublicURL, Images: s.Images, Archive: s.Archive, Inbound: s.Conversations(""),
	}
	w, err := service.Start(ctx, s.Temporal, acts)
	if err != nil {
		return err
	}
	s.Worker = w
	s.add(func() error { w.Stop(); return nil })
	return nil
}

// Close stops what was started, last first.
func (s *Stack) Close() { s.closers.close() }

// closers stops what was started, last first.
type closers []func() error

func (c *closers) add(f func() error) { *c = append(*c, f) }

func (c *closers) close() {
	for i := len(*c) - 1; i >= 0; i-- {
		_ = (*c)[i]()
	}
	*c = nil
}

func loopback(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

func listen(port int, what string) (net.Listener, error) {
	l, err := net.Listen("tcp", loopback(port))
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", what, err)
	}
	return l, nil
}
