package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"outbound/internal/address"
	"outbound/internal/api"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// pool hands out agent slots: a conversation holds one from start to wrap-up.
type pool chan agentSlot

func (w *world) newPool() pool {
	p := make(pool, len(w.slots))
	for _, s := range w.slots {
		p <- s
	}
	return p
}

func (p pool) take(ctx context.Context) (agentSlot, error) {
	select {
	case s := <-p:
		return s, nil
	case <-ctx.Done():
		return agentSlot{}, fmt.Errorf("no free agent slot: %w", ctx.Err())
	}
}

// channelOf spreads the product load's conversations over the channels.
func (w *world) channelOf(i int) string {
	if w.cfg.Channel != "mixed" {
		return w.cfg.Channel
	}
	return [...]string{"sms", "email"}[i%2]
}

// opened is a started product conversation.
type opened struct {
	c        *conversations.Client
	slot     agentSlot
	id       string
	to       string // the customer's address
	channel  string
	customer string // the customer record's workflow ID
}

// open starts a conversation through the product's client: update-with-start,
// eligibility (rules 1–5), capacity (7) and uniqueness (6) checked before it answers.
func (w *world) open(ctx context.Context, slot agentSlot, ch string, i int, canAfter int, r *loadResult) (opened, error) {
	c := w.client(slot.Tenant)
	d := w.dirs[slot.Tenant]
	ep, _ := entryPoint(&d, model.Channel(ch))
	to := w.newCustomer(ch)
	o := conversations.StartOptions{Agent: slot.Agent, Channel: model.Channel(ch), To: to, EntryPoint: ep, ContinueAsNewAfter: canAfter}
	if ch == "email" {
		o.Subject = fmt.Sprintf("Your request %s-%d", w.runTag, i)
	}
	t0 := time.Now()
	id, err := c.Start(ctx, o)
	if err != nil {
		return opened{}, fmt.Errorf("start (%s/%s, %s): %w", slot.Tenant, slot.Agent, ch, err)
	}
	if r != nil {
		r.op("start").add(time.Since(t0))
	}
	norm, err := address.Normalize(model.Channel(ch), to)
	if err != nil {
		return opened{}, err
	}
	customer := api.CustomerWorkflowID(slot.Tenant, address.Key(w.key, norm))
	return opened{c: c, slot: slot, id: id, to: to, channel: ch, customer: customer}, nil
}

// send is one agent message, as a synchronous update: it returns once the
// channel activity has handed the message to the SMS API or SMTP sink.
func (o opened) send(ctx context.Context, text string) (time.Duration, error) {
	t0 := time.Now()
	res, err := o.c.Send(ctx, conversations.Sync, o.id, o.slot.Agent, model.Compose{Text: text})
	d := time.Since(t0)
	if err != nil {
		return d, fmt.Errorf("send: %w", err)
	}
	if res.Status != model.MessageSent && res.Status != model.MessageDelivered {
		return d, fmt.Errorf("send: message %s is %s (%s)", res.MessageID, res.Status, res.Error)
	}
	return d, nil
}

// finish closes the conversation and ends the agent's wrap-up, which frees the slot.
func (o opened) finish(ctx context.Context, reason string, r *loadResult) error {
	t0 := time.Now()
	if _, err := o.c.Close(ctx, o.id, o.slot.Agent); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	t1 := time.Now()
	if err := o.c.WrapUp(ctx, o.id, o.slot.Agent, reason); err != nil {
		return fmt.Errorf("wrap-up: %w", err)
	}
	if r != nil {
		r.op("close").add(t1.Sub(t0))
		r.op("wrapup").add(time.Since(t1))
	}
	return nil
}

func (w *world) wrapUpReason(tenant string) string {
	if rs := w.dirs[tenant].WrapUpReasons; len(rs) > 0 {
		return rs[0]
	}
	return ""
}

// productConversation is one real conversation: start, the agent's messages
// (each delivered over SMS HTTP or SMTP to the sinks), the customer's
// replies, close and wrap-up.
func (w *world) productConversation(ctx context.Context, p pool, i int, r *loadResult) error {
	slot, err := p.take(ctx)
	if err != nil {
		return err
	}
	o, err := w.open(ctx, slot, w.channelOf(i), i, 0, r)
	if err != nil {
		p <- slot
		return err
	}
	ref := workflowRef{ID: o.id, Tenant: slot.Tenant, Channel: o.channel, Customer: o.customer}
	ref.WorkflowID, ref.RunID, _ = api.SplitConversationID(o.id)
	err = func() error {
		for n := 1; n <= w.cfg.Messages; n++ {
			d, err := o.send(ctx, fmt.Sprintf("Message %d of %d: your parcel is on its way.", n, w.cfg.Messages))
			if err != nil {
				return fmt.Errorf("message %d: %w", n, err)
			}
			r.latency.add(d)
			r.op("send").add(d)
			r.messages.Add(1)
			ref.Messages++
			if w.cfg.ReplyEvery > 0 && n%w.cfg.ReplyEvery == 0 {
				t0 := time.Now()
				if _, err := o.c.Reply(ctx, conversations.Sync, o.id, fmt.Sprintf("Thanks for message %d", n)); err != nil {
					return fmt.Errorf("reply %d: %w", n, err)
				}
				r.op("reply").add(time.Since(t0))
				r.replies.Add(1)
				ref.Replies++
			}
		}
		return nil
	}()
	// Close and wrap up even after a failure, so the agent's slot is free
	// for the next conversation.
	if ferr := o.finish(ctx, w.wrapUpReason(slot.Tenant), r); ferr != nil && err == nil {
		err = ferr
	}
	p <- slot
	if err != nil {
		return err
	}
	r.addRef(ref)
	return nil
}

// verify reads every finished conversation back: the transcript holds every
// message in order, each agent message delivered (sent or delivered).
func (w *world) verify(ctx context.Context, r *loadResult) (int, error) {
	var mu sync.Mutex
	var first error
	bad := 0
	eachRef(r.refs, func(ref workflowRef) {
		if err := w.checkTranscript(ctx, ref); err != nil {
			mu.Lock()
			bad++
			if first == nil {
				first = err
			}
			mu.Unlock()
		}
	})
	return bad, first
}

func (w *world) checkTranscript(ctx context.Context, ref workflowRef) error {
	c := w.client(ref.Tenant)
	st, err := c.Show(ctx, ref.ID)
	if err != nil {
		return fmt.Errorf("show %s: %w", ref.ID, err)
	}
	if st.Status != api.StatusClosed {
		return fmt.Errorf("%s is %s, not closed", ref.ID, st.Status)
	}
	if len(st.Messages) != ref.Messages+ref.Replies {
		return fmt.Errorf("%s holds %d messages, want %d", ref.ID, len(st.Messages), ref.Messages+ref.Replies)
	}
	out := 0
	for i, m := range st.Messages {
		if m.ID != fmt.Sprintf("m%d", i+1) {
			return fmt.Errorf("%s: message %d is %s: out of order", ref.ID, i+1, m.ID)
		}
		if m.Direction == model.Outbound {
			out++
			if m.Status != model.MessageSent && m.Status != model.MessageDelivered {
				return fmt.Errorf("%s: message %s is %s", ref.ID, m.ID, m.Status)
			}
		}
	}
	if out != ref.Messages {
		return fmt.Errorf("%s: %d agent messages, want %d", ref.ID, out, ref.Messages)
	}
	return nil
}

// callbackWait bounds the wait, after the load, for the SMS provider's last
// status callbacks.
const callbackWait = 30 * time.Second

// undelivered counts the SMS agent messages of the load not shown delivered,
// out of how many, waiting up to wait for them (0: one look). Read when the
// load ends, it says whether the load ran with its status callbacks: a
// stand-in that reported late went unnoticed until 027d149.
func (w *world) undelivered(ctx context.Context, r *loadResult, wait time.Duration) (missing, total int) {
	var sms []workflowRef
	for _, ref := range r.refs {
		if ref.Channel == string(model.SMS) {
			sms = append(sms, ref)
			total += ref.Messages
		}
	}
	var mu sync.Mutex
	deadline := time.Now().Add(wait)
	eachRef(sms, func(ref workflowRef) {
		n := w.awaitSMSDelivered(ctx, ref, deadline)
		mu.Lock()
		missing += n
		mu.Unlock()
	})
	return missing, total
}

// awaitSMSDelivered looks at a conversation (show applies the statuses that
// came after its close) until its agent messages are all delivered or the
// deadline passed, and returns how many are not.
func (w *world) awaitSMSDelivered(ctx context.Context, ref workflowRef, deadline time.Time) int {
	for {
		notYet := ref.Messages
		if st, err := w.client(ref.Tenant).Show(ctx, ref.ID); err == nil {
			notYet = 0
			for _, m := range st.Messages {
				if m.Direction == model.Outbound && m.Status != model.MessageDelivered {
					notYet++
				}
			}
		}
		if notYet == 0 || !time.Now().Before(deadline) {
			return notYet
		}
		select {
		case <-ctx.Done():
			return notYet
		case <-time.After(500 * time.Millisecond):
		}
	}
}
