package mailin

import (
	"net"
	"sync"
	"time"
)

// Limits bounds what senders may hold of the receiver, so that no sender can
// stall it and each keeps being served: found, 100 connections sending NOOP
// held every slot and the 101st got no greeting, and 30 parallel 9 MB
// messages took the worker to 3.3 GB.
type Limits struct {
	// Connections and PerAddress bound the open connections, in all and
	// from one client address; past them a connection is answered 421 and
	// closed (the sender tries again later).
	Connections, PerAddress int
	// Idle closes a connection that starts no mail transaction (MAIL FROM)
	// for so long, however many NOOPs it sends; a DATA being read is not idle.
	Idle time.Duration
	// LargeMessages bounds the messages over largeMessage bytes read and
	// parsed at once (parsing takes about ten times a message's size in
	// memory); past it a DATA waits up to largeWait, then gets a 451.
	LargeMessages int
}

// DefaultLimits hold a worker under about 0.5 GB for inbound mail: at most
// 3 messages of up to 10 MB and the rest under 256 KiB in flight.
var DefaultLimits = Limits{Connections: 100, PerAddress: 10, Idle: 2 * time.Minute, LargeMessages: 3}

const (
	largeMessage = 256 << 10
	largeWait    = time.Minute
)

// limitListener admits connections within Limits and times idle ones out.
type limitListener struct {
	net.Listener
	limits Limits

	mu     sync.Mutex
	total  int
	byAddr map[string]int
}

func newLimitListener(ln net.Listener, limits Limits) *limitListener {
	return &limitListener{Listener: ln, limits: limits, byAddr: map[string]int{}}
}

// Accept returns the next connection within the limits; one past them is
// told so and closed, and the listener goes on accepting.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := hostOf(c.RemoteAddr())
		if !l.admit(addr) {
			go refuse(c)
			continue
		}
		lc := &limitedConn{Conn: c, release: func() { l.leave(addr) }}
		lc.idle = time.AfterFunc(l.limits.Idle, lc.timeOut)
		return lc, nil
	}
}

func (l *limitListener) admit(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.limits.Connections || l.byAddr[addr] >= l.limits.PerAddress {
		return false
	}
	l.total++
	l.byAddr[addr]++
	return true
}

func (l *limitListener) leave(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byAddr[addr]--; l.byAddr[addr] == 0 {
		delete(l.byAddr, addr)
	}
}

func hostOf(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	return a.String()
}

// refuse answers a connection past the limits without reading from it.
func refuse(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write([]byte("421 4.7.0 Too many connections, try again later\r\n"))
	_ = c.Close()
}

// limitedConn is an admitted connection: closing it frees its place; it is
// closed when idle too long.
type limitedConn struct {
	net.Conn
	release func()
	once    sync.Once
	idle    *time.Timer
}

func (c *limitedConn) Close() error {
	c.idle.Stop()
	c.once.Do(c.release)
	return c.Conn.Close()
}

// timeOut ends an idle session, telling the sender why.
func (c *limitedConn) timeOut() {
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write([]byte("421 4.4.2 Idle for too long, closing\r\n"))
	_ = c.Close()
}

// busy holds off the idle timeout while the session does work (a DATA is
// read, parsed and routed); active restarts it.
func (c *limitedConn) busy()                  { c.idle.Stop() }
func (c *limitedConn) active(d time.Duration) { c.idle.Reset(d) }
