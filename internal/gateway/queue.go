package gateway

import (
	"context"
	"sync"

	"outbound/internal/conversations"
)

// inboundQueues hands a customer's messages to their record in arrival
// order, and those that arrive while an earlier one is being handed over
// together with the next: a burst of webhooks from one number to one
// address becomes a few signals instead of one write each, which the server
// makes one after another on the same record. Found: 200 webhooks at once
// to one conversation, on a busy machine, left 24 waiting past the deadline
// (503, which a provider does not retry for an inbound message).
type inboundQueues struct {
	send func(ctx context.Context, msgs []conversations.InboundMessage) []error

	mu     sync.Mutex
	byPair map[string][]*queued // messages waiting, by To and From; present while being drained
}

// maxBatch bounds the messages of one signal: 100 SMS of at most 1,600
// characters stay well under Temporal's 2 MiB payload limit.
const maxBatch = 100

type queued struct {
	msg  conversations.InboundMessage
	done chan error
}

func newInboundQueues(send func(context.Context, []conversations.InboundMessage) []error) *inboundQueues {
	return &inboundQueues{send: send, byPair: map[string][]*queued{}}
}

// hand waits until m is durable with its record, or ctx ends. A message
// whose caller gave up is still handed over: the provider's retry of it is
// then dropped as already received.
func (q *inboundQueues) hand(ctx context.Context, m conversations.InboundMessage) error {
	key := m.To + "\x00" + m.From
	it := &queued{msg: m, done: make(chan error, 1)}
	q.mu.Lock()
	waiting, draining := q.byPair[key]
	q.byPair[key] = append(waiting, it)
	q.mu.Unlock()
	if !draining {
		go q.drain(key)
	}
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain hands over what waits for key, in order, until nothing does.
func (q *inboundQueues) drain(key string) {
	for {
		q.mu.Lock()
		waiting := q.byPair[key]
		if len(waiting) == 0 {
			delete(q.byPair, key)
			q.mu.Unlock()
			return
		}
		batch := waiting[:min(len(waiting), maxBatch)]
		q.byPair[key] = waiting[len(batch):]
		q.mu.Unlock()

		msgs := make([]conversations.InboundMessage, len(batch))
		for i, it := range batch {
			msgs[i] = it.msg
		}
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		errs := q.send(ctx, msgs)
		cancel()
		for i, it := range batch {
			it.done <- errs[i]
		}
	}
}
