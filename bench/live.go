package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"outbound/internal/api"
	"outbound/internal/codec"
	"outbound/internal/conversations"
	"outbound/internal/desktop"
	"outbound/internal/dev/testenv"
	"outbound/internal/model"
)

// Phase (e) of issue 11.
const (
	targetLiveP99    = time.Second
	liveConversation = 3                      // per agent
	liveIdle         = 10 * time.Second       // the desktop's cost with nothing happening
	liveEventEvery   = 200 * time.Millisecond // a customer's reply somewhere
	liveOpening      = 8                      // agents signing in at once
)

// liveResult is phase (e): agents signed in to a desktop, each with a
// conversation page open (its event stream connected) and three
// conversations; customers reply at random, and each reply is timed from
// its conversation accepting it to the agent's page, re-read on the
// stream's hint, showing it (in the transcript or the task list).
type liveResult struct {
	Agents, Events int
	Latency        *latencies
	Missed         atomic.Int64  // replies not on screen within 10 s
	IdleRPS        float64       // the desktop's Temporal calls per second, nothing happening
	BusyRPS        float64       // the same while customers reply
	IdleCPU        time.Duration // this process's CPU per second while idle (server, worker and desktop)
}

// liveDesk is the desktop under test, its Temporal calls counted.
type liveDesk struct {
	url   string
	calls atomic.Int64
}

func (w *world) live(ctx context.Context, agents, events int) (*liveResult, error) {
	d, ok := w.dirs[testenv.LiveTenant]
	if !ok {
		return nil, fmt.Errorf("tenant %s is not served", testenv.LiveTenant)
	}
	desk, stop, err := w.startDesk(ctx)
	if err != nil {
		return nil, err
	}
	defer stop()
	c := w.client(d.Tenant)
	res := &liveResult{Agents: agents, Events: events, Latency: &latencies{}}
	pages := make([]*livePage, agents)
	defer func() {
		for _, p := range pages {
			if p != nil {
				p.close()
			}
		}
	}()
	// Agents sign in a few at a time, as a shift starts.
	var g errgroup.Group // not WithContext: its context ends with Wait, and the pages live on
	g.SetLimit(liveOpening)
	for i := range agents {
		g.Go(func() (err error) {
			pages[i], err = w.openPage(ctx, desk, c, d.Agents[i].ID)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	// Nothing happening: the conversations just started are long-polled
	// until they have been quiet for 2 × api.ConversationQuiet.
	if err := sleep(ctx, 2*api.ConversationQuiet+5*time.Second); err != nil {
		return nil, err
	}
	cpu0, calls0, t0 := processCPU(), desk.calls.Load(), time.Now()
	if err := sleep(ctx, liveIdle); err != nil {
		return nil, err
	}
	res.IdleRPS = float64(desk.calls.Load()-calls0) / time.Since(t0).Seconds()
	res.IdleCPU = time.Duration(float64(processCPU()-cpu0) / time.Since(t0).Seconds())

	calls0, t0 = desk.calls.Load(), time.Now()
	var wg sync.WaitGroup
	// One reply at a time per conversation: a second one would replace the
	// first in the task list's preview before the page could show it.
	var replying sync.Map
	for n := range events {
		var p *livePage
		var conv string
		for {
			p = pages[rand.IntN(len(pages))]
			conv = p.conversations[rand.IntN(len(p.conversations))]
			if _, busy := replying.LoadOrStore(conv, true); !busy {
				break
			}
			time.Sleep(10 * time.Millisecond) // every conversation drawn awaits its reply on screen
		}
		text := fmt.Sprintf("reply %s-%d", w.runTag, n)
		wg.Go(func() {
			defer replying.Delete(conv)
			seen := p.expect(text)
			if _, err := c.Reply(ctx, conversations.Sync, conv, text); err != nil {
				res.Missed.Add(1)
				return
			}
			accepted := time.Now()
			select {
			case at := <-seen:
				res.Latency.add(max(0, at.Sub(accepted)))
			case <-time.After(10 * time.Second):
				res.Missed.Add(1)
			}
		})
		if err := sleep(ctx, liveEventEvery); err != nil {
			return nil, err
		}
	}
	wg.Wait()
	res.BusyRPS = float64(desk.calls.Load()-calls0) / time.Since(t0).Seconds()
	return res, nil
}

// startDesk serves the desktop (dev sign-in) on its own Temporal client,
// whose calls it counts.
func (w *world) startDesk(ctx context.Context) (*liveDesk, func(), error) {
	desk := &liveDesk{}
	count := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		desk.calls.Add(1)
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	opts := client.Options{HostPort: w.env.Server.FrontendAddress(), Namespace: w.env.Server.Namespace(),
		ConnectionOptions: client.ConnectionOptions{DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(count)}}}
	codec.Configure(&opts, w.env.Codec)
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	s := &desktop.Server{Client: &conversations.Client{Temporal: tc, IDKey: w.key, Archive: w.archive},
		Key: []byte("the bench desktop session key, 32 bytes or more"), Dev: true, Log: deskLog()}
	h, err := s.Handler()
	if err != nil {
		tc.Close()
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tc.Close()
		return nil, nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	desk.url = "http://" + ln.Addr().String()
	return desk, func() { _ = srv.Close(); s.Close(); tc.Close() }, nil
}

// livePage is one agent's open conversation page: its event stream, and
// the page re-read on each hint, as the page's script does.
type livePage struct {
	desk          *liveDesk
	cookie, path  string
	conversations []string

	mu       sync.Mutex
	expected map[string]chan time.Time // texts not yet on screen
	cancel   context.CancelFunc
}

var liveSince = regexp.MustCompile(`data-live-since="([^"]+)"`)

func (w *world) openPage(ctx context.Context, desk *liveDesk, c *conversations.Client, agent string) (*livePage, error) {
	p := &livePage{desk: desk, expected: map[string]chan time.Time{}}
	for range liveConversation {
		d := w.dirs[c.Tenant]
		ep, _ := entryPoint(&d, model.SMS)
		id, err := c.Start(ctx, conversations.StartOptions{Agent: agent, Channel: model.SMS, To: w.newCustomer("sms"), EntryPoint: ep,
			First: &model.Compose{Text: "Hello from the desktop bench"}})
		if err != nil {
			return nil, fmt.Errorf("start for %s: %w", agent, err)
		}
		p.conversations = append(p.conversations, id)
	}
	resp, err := noRedirect.PostForm(desk.url+"/signin", url.Values{"agent": {c.Tenant + "/" + agent}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		p.cookie = ck.Name + "=" + ck.Value
	}
	p.path = "/conversation?id=" + url.QueryEscape(p.conversations[0])
	var page string
	if err := reloading(ctx, func() (err error) { page, err = p.get(ctx, p.path); return err }); err != nil {
		return nil, err
	}
	m := liveSince.FindStringSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("%s's page has no live fingerprint", agent)
	}
	streamCtx, cancel := context.WithCancel(ctx)
	p.cancel = cancel
	var stream *http.Response
	err = reloading(ctx, func() (err error) {
		stream, err = p.open(streamCtx, "/events?"+url.Values{"since": {m[1]}, "id": {p.conversations[0]}}.Encode())
		return err
	})
	if err != nil {
		cancel()
		return nil, err
	}
	go p.follow(streamCtx, stream)
	return p, nil
}

// deskLog shows the desktop's warnings (why a page failed) on stderr.
func deskLog() *zap.Logger {
	cfg := zap.NewDevelopmentConfig()
	cfg.Level = zap.NewAtomicLevelAt(zap.WarnLevel)
	log, err := cfg.Build()
	if err != nil {
		return zap.NewNop()
	}
	return log
}

// reloading tries a request again as a browser's reload or EventSource
// would: while a thousand agents sign in, a page may time out (503).
func reloading(ctx context.Context, request func() error) error {
	for try := 0; ; try++ {
		err := request()
		if err == nil || try == 5 {
			return err
		}
		if err := sleep(ctx, time.Second<<try); err != nil {
			return err
		}
	}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (p *livePage) open(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", p.desk.url+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Cookie", p.cookie)
	resp, err := noRedirect.Do(req)
	if err == nil && resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return resp, err
}

func (p *livePage) get(ctx context.Context, path string) (string, error) {
	resp, err := p.open(ctx, path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// follow re-reads the page on each hint and notes which expected texts it shows.
func (p *livePage) follow(ctx context.Context, stream *http.Response) {
	defer stream.Body.Close()
	lines := bufio.NewScanner(stream.Body)
	for lines.Scan() {
		if lines.Text() != "event: changed" {
			continue
		}
		page, err := p.get(ctx, p.path)
		if err != nil {
			continue
		}
		now := time.Now()
		p.mu.Lock()
		for text, seen := range p.expected {
			if strings.Contains(page, text) {
				seen <- now
				delete(p.expected, text)
			}
		}
		p.mu.Unlock()
	}
}

func (p *livePage) expect(text string) <-chan time.Time {
	seen := make(chan time.Time, 1)
	p.mu.Lock()
	p.expected[text] = seen
	p.mu.Unlock()
	return seen
}

func (p *livePage) close() { p.cancel() }

func printLive(out io.Writer, r *liveResult) {
	p50, p99 := r.Latency.percentile(50), r.Latency.percentile(99)
	met := "met"
	if p99 >= targetLiveP99 || r.Missed.Load() > 0 {
		met = "NOT met"
	}
	fmt.Fprintf(out, "\n(e) desktop live: %d agents signed in, a conversation page open each (event stream connected), %d conversations each; %d customer replies, one every %s\n",
		r.Agents, liveConversation, r.Events, liveEventEvery)
	fmt.Fprintf(out, "    reply accepted by its conversation → on the agent's page: p50 %.0f ms, p99 %.0f ms, max %.0f ms, missed %d (target p99 < %s: %s)\n",
		ms(p50), ms(p99), ms(r.Latency.percentile(100)), r.Missed.Load(), targetLiveP99, met)
	fmt.Fprintf(out, "    the desktop's Temporal calls: %.0f/s with nothing happening, %.0f/s while customers reply; this process (server, worker, desktop) used %.2f CPU-s/s idle\n",
		r.IdleRPS, r.BusyRPS, r.IdleCPU.Seconds())
}
