package mailin_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"outbound/internal/conversations"
	"outbound/internal/mailin"
)

func startLimited(t *testing.T, r mailin.Router, limits mailin.Limits) *mailin.Server {
	t.Helper()
	s, err := mailin.StartLimited("127.0.0.1:0", r, mailin.AcceptUnauthenticated{}, zaptest.NewLogger(t), limits)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// dialFrom connects from a loopback address of the client's choice (all of
// 127/8 reaches the receiver) and returns the greeting line.
func dialFrom(t *testing.T, from, addr string) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	greeting, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("no greeting from %s: %v", from, err)
	}
	return c, r, greeting
}

// Found: 100 connections sending NOOP held every slot and the 101st got no
// greeting. One client address holds at most PerAddress connections (the
// next is told 421), others are still greeted and served, and a session that
// starts no transaction is closed after Idle however many NOOPs it sends.
func TestSendersCannotHoldTheReceiver(t *testing.T) {
	r := &fakeRouter{}
	limits := mailin.DefaultLimits
	limits.Idle = 2 * time.Second
	s := startLimited(t, r, limits)
	for range limits.PerAddress {
		if _, _, greeting := dialFrom(t, "127.0.0.2", s.Addr()); !strings.HasPrefix(greeting, "220 ") {
			t.Fatalf("greeting %q", greeting)
		}
	}
	if _, _, refused := dialFrom(t, "127.0.0.2", s.Addr()); !strings.HasPrefix(refused, "421 ") {
		t.Fatalf("connection %d from one address: %q, want 421", limits.PerAddress+1, refused)
	}
	// Another client is served meanwhile.
	raw := "From: " + customer + "\nTo: " + entryPoint + "\nSubject: hi\n\nstill served\n"
	if err := send(t, s.Addr(), customer, []string{entryPoint}, raw); err != nil {
		t.Fatalf("another client: %v", err)
	}
	if got := only(t, r); got.Text != "still served" {
		t.Fatalf("routed %+v", got)
	}

	// NOOPs do not keep a session: it is closed after Idle.
	// The server's idle clock starts with the session, so ours starts before
	// the dial: taken after it, a loaded machine saw the close 3 ms "early".
	began := time.Now()
	c, lines, _ := dialFrom(t, "127.0.0.3", s.Addr())
	closed := make(chan string, 1)
	go func() {
		var last string
		for {
			line, err := lines.ReadString('\n')
			if err != nil {
				closed <- last
				return
			}
			last = line
		}
	}()
	for noops := 0; ; noops++ {
		select {
		case last := <-closed:
			if !strings.HasPrefix(last, "421 ") || time.Since(began) < limits.Idle {
				t.Fatalf("closed after %s and %d NOOPs with %q, want 421 after the idle %s", time.Since(began), noops, last, limits.Idle)
			}
			return
		case <-time.After(200 * time.Millisecond):
			_, _ = c.Write([]byte("NOOP\r\n"))
		}
		if time.Since(began) > 30*time.Second {
			t.Fatal("a session sending NOOPs is still open after 30 s")
		}
	}
}

// Found: a header or body line over 2,000 bytes got 451 on every try until
// the sender bounced it. A long line is taken whole; one past MaxLineBytes
// is refused for good (552), not deferred.
func TestLongLinesAreTakenOrRefusedForGood(t *testing.T) {
	r := &fakeRouter{}
	s := start(t, r)
	long := strings.Repeat("x", 5000)
	raw := "From: " + customer + "\nTo: " + entryPoint + "\nSubject: " + long + "\n\n" + long + "\n"
	if err := send(t, s.Addr(), customer, []string{entryPoint}, raw); err != nil {
		t.Fatalf("5,000-byte lines: %v", err)
	}
	if got := only(t, r); got.Text != long || got.Subject != long {
		t.Fatalf("the long lines were not kept whole: text %d bytes, subject %d bytes", len(got.Text), len(got.Subject))
	}
	huge := "From: " + customer + "\nTo: " + entryPoint + "\nSubject: huge\n\n" + strings.Repeat("y", mailin.MaxLineBytes+1) + "\n"
	if code := smtpCode(t, send(t, s.Addr(), customer, []string{entryPoint}, huge)); code != 552 {
		t.Errorf("a line over %d bytes: code %d, want 552", mailin.MaxLineBytes, code)
	}
}

// blockingRouter counts the messages being routed at once and holds each
// until released.
type blockingRouter struct {
	fakeRouter
	mu       sync.Mutex
	now, max int
	release  chan struct{}
}

func (b *blockingRouter) Inbound(ctx context.Context, m conversations.InboundMessage) error {
	b.mu.Lock()
	b.now++
	b.max = max(b.max, b.now)
	b.mu.Unlock()
	<-b.release
	b.mu.Lock()
	b.now--
	b.mu.Unlock()
	return b.fakeRouter.Inbound(ctx, m)
}

func (b *blockingRouter) inFlight() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.now
}

// Found: 30 parallel 9 MB messages took the worker to 3.3 GB. Large
// messages are read and parsed LargeMessages at a time; the others wait
// for a place, and all are taken.
func TestLargeMessagesAreTakenAFewAtATime(t *testing.T) {
	r := &blockingRouter{release: make(chan struct{})}
	limits := mailin.DefaultLimits
	limits.LargeMessages = 2
	s := startLimited(t, r, limits)
	body := strings.Repeat(strings.Repeat("z", 99)+"\n", 5000) // 500 KB
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for i := range 5 {
		wg.Go(func() {
			raw := "From: " + customer + "\nTo: " + entryPoint + "\nSubject: large " + string(rune('a'+i)) + "\n\n" + body
			errs <- send(t, s.Addr(), customer, []string{entryPoint}, raw)
		})
	}
	// Both places taken; the others had a second more to pass the bound.
	for deadline := time.Now().Add(30 * time.Second); r.inFlight() < limits.LargeMessages; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d large messages routed after 30 s, want %d held", r.inFlight(), limits.LargeMessages)
		}
	}
	time.Sleep(time.Second)
	close(r.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a large message: %v", err)
		}
	}
	if n := len(r.got()); n != 5 {
		t.Errorf("%d of 5 large messages routed", n)
	}
	if r.max > limits.LargeMessages {
		t.Errorf("%d large messages in flight at once, the limit is %d", r.max, limits.LargeMessages)
	}
}
