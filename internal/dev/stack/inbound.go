package stack

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"outbound/internal/conversations"
	"outbound/internal/desktop"
	"outbound/internal/gateway"
	"outbound/internal/mailin"
)

// Conversations is a client bound to a tenant ("": any the worker serves)
// that reads archived transcripts.
func (s *Stack) Conversations(tenant string) *conversations.Client {
	return &conversations.Client{Temporal: s.Temporal, IDKey: s.Key, Tenant: tenant, Archive: s.Archive}
}

// startInbound serves the webhooks on l, the inbound SMTP receiver and the
// desktop: what the gateway and desktop binaries run in production.
func (s *Stack) startInbound(l net.Listener, o Options) error {
	convs := s.Conversations("")
	convs.DirectoryCache = conversations.NewDirectoryCache() // as the gateway binary
	log := o.Log.Named("gateway")
	gw := gateway.NewServer(l.Addr().String(),
		gateway.New(gateway.Config{PublicURL: o.PublicURL, SMSAuthToken: o.SMSToken}, convs, log), log)
	go func() { _ = gw.Serve(l) }()
	s.add(func() error { return gw.Shutdown(context.Background()) })
	// Mail here comes from the developer's own tools, unsigned.
	in, err := mailin.Start(loopback(o.Ports.SMTPIn), convs, mailin.AcceptUnauthenticated{}, o.Log.Named("mailin"))
	if err != nil {
		return fmt.Errorf("start the inbound SMTP receiver: %w", err)
	}
	s.add(in.Close)
	s.MailinAddr = in.Addr()
	if o.Desktop {
		return s.startDesktop(convs, o)
	}
	return nil
}

// startDesktop serves the Agent Desktop with the dev sign-in on loopback,
// its sessions signed with the data directory's own key.
func (s *Stack) startDesktop(convs *conversations.Client, o Options) error {
	key, err := sessionKey(o.DataDir)
	if err != nil {
		return err
	}
	desk := &desktop.Server{Client: convs, Key: key, Dev: true, Log: o.Log.Named("desktop")}
	handler, err := desk.Handler()
	if err != nil {
		return err
	}
	s.add(func() error { desk.Close(); return nil })
	ln, err := listen(o.Ports.Desktop, "the desktop")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	s.add(srv.Close)
	s.DesktopURL = fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	return nil
}

// sessionKey is the data directory's desktop session key, made at its first
// use: a key in the source would let anyone who read it sign in as any agent
// of any dev desktop.
func sessionKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, "desktop-session.key")
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // never fails since Go 1.24
		if err = os.MkdirAll(dataDir, 0o755); err == nil {
			err = os.WriteFile(path, key, 0o600)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the desktop's session key: %w", err)
	}
	return key, nil
}
