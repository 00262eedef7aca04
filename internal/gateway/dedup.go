package gateway

import (
	"container/list"
	"context"
	"sync"
)

// dedup runs one call per key at a time and remembers, in a bounded LRU, the
// keys whose call succeeded. The provider retries a webhook it got no 2xx
// for, and may deliver one message twice anyway; the LRU answers those
// repeats without routing the message again. It is a per-process shortcut
// only: the conversation workflow deduplicates on the same id (ProviderID),
// which covers restarts and several gateway replicas.
type dedup struct {
	mu       sync.Mutex
	max      int
	order    *list.List               // of *seenEntry, most recent first
	seen     map[string]*list.Element // completed keys
	inflight map[string]*flight
}

type seenEntry struct {
	key, result string
}

type flight struct {
	done   chan struct{}
	result string
	err    error
}

func newDedup(max int) *dedup {
	return &dedup{max: max, order: list.New(), seen: map[string]*list.Element{}, inflight: map[string]*flight{}}
}

// do returns the remembered result for key (dup=true), waits for a call
// already running for key and shares its outcome (dup=true), or runs fn
// (dup=false). Only a successful result is remembered: after a failure the
// provider's next retry runs fn again.
func (d *dedup) do(ctx context.Context, key string, fn func() (string, error)) (result string, dup bool, err error) {
	d.mu.Lock()
	if e, ok := d.seen[key]; ok {
		d.order.MoveToFront(e)
		d.mu.Unlock()
		return e.Value.(*seenEntry).result, true, nil
	}
	if f, ok := d.inflight[key]; ok {
		d.mu.Unlock()
		select {
		case <-f.done:
			return f.result, true, f.err
		case <-ctx.Done():
			return "", true, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	d.inflight[key] = f
	d.mu.Unlock()

	defer func() {
		d.mu.Lock()
		delete(d.inflight, key)
		if f.err == nil {
			d.remember(key, f.result)
		}
		d.mu.Unlock()
		close(f.done)
	}()
	f.err = errPanicked // replaced unless fn panics
	f.result, f.err = fn()
	return f.result, false, f.err
}

// remember adds key to the LRU, evicting the oldest past max. d.mu is held.
func (d *dedup) remember(key, result string) {
	d.seen[key] = d.order.PushFront(&seenEntry{key: key, result: result})
	for d.order.Len() > d.max {
		oldest := d.order.Back()
		d.order.Remove(oldest)
		delete(d.seen, oldest.Value.(*seenEntry).key)
	}
}

// size is the number of remembered keys.
func (d *dedup) size() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.order.Len()
}
