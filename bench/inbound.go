package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/dev/testenv"
	"outbound/internal/model"
	"outbound/internal/sms"
)

// inboundResult is phase (f) of issue 12: what a customer's message costs
// through its channel (the signed webhook, then the customer's record, which
// routes it into the conversation by an activity) against the same message
// sent straight into the conversation (one update), on the same server.
type inboundResult struct {
	Customers, Messages int
	Direct, Webhook     inboundLoad
}

type inboundLoad struct {
	Acked  time.Duration // until every message was answered (200, or the update's result)
	Landed time.Duration // until every message was in its transcript
	CPU    time.Duration // this process (server, worker, gateway) over Landed
}

func (l inboundLoad) perMessage(n int) time.Duration { return l.CPU / time.Duration(n) }

// inbound opens an SMS conversation per customer, then each customer sends
// its messages one after another, all customers at once: first straight
// into the conversation, then through the webhook.
func (w *world) inbound(ctx context.Context, customers, messages int) (*inboundResult, error) {
	var convs []opened
	// The earlier phases may still hold some slots (the idle conversations):
	// take the free ones.
	for i := 0; i < len(w.slots) && len(convs) < customers; i++ {
		o, err := w.open(ctx, w.slots[i], "sms", i, 0, nil)
		if codes.Is(err, codes.OutboundLimitReached) {
			continue
		}
		if err != nil {
			return nil, err
		}
		convs = append(convs, o)
		defer func() { _ = o.finish(context.WithoutCancel(ctx), w.wrapUpReason(o.slot.Tenant), nil) }()
	}
	if len(convs) < customers {
		return nil, fmt.Errorf("%d customers need as many free agent slots; %d are free", customers, len(convs))
	}
	res := &inboundResult{Customers: customers, Messages: messages}
	var err error
	res.Direct, err = w.inboundLoad(ctx, convs, messages, func(o opened, text, _ string) error {
		_, err := o.c.Reply(ctx, conversations.Sync, o.id, text)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("straight into the conversation: %w", err)
	}
	res.Webhook, err = w.inboundLoad(ctx, convs, messages, w.postSMS)
	if err != nil {
		return nil, fmt.Errorf("through the webhook: %w", err)
	}
	return res, nil
}

// inboundLoad sends messages per conversation with send and waits until
// every transcript holds them.
func (w *world) inboundLoad(ctx context.Context, convs []opened, messages int, send func(o opened, text, sid string) error) (inboundLoad, error) {
	var load inboundLoad
	before := make([]int, len(convs))
	for i, o := range convs {
		st, err := o.c.Show(ctx, o.id)
		if err != nil {
			return load, err
		}
		before[i] = len(st.Messages)
	}
	cpu0, t0 := processCPU(), time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for i, o := range convs {
		g.Go(func() error {
			for n := range messages {
				sid := fmt.Sprintf("SM%s%08d%04d", strings.ReplaceAll(w.runTag, "-", ""), before[i]+n, i)
				if err := send(o, fmt.Sprintf("customer %d, message %d", i, n), sid); err != nil {
					return err
				}
				if gctx.Err() != nil {
					return gctx.Err()
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return load, err
	}
	load.Acked = time.Since(t0)
	for i, o := range convs {
		for {
			st, err := o.c.Show(ctx, o.id)
			if err != nil {
				return load, err
			}
			if len(st.Messages) >= before[i]+messages {
				break
			}
			if err := sleep(ctx, 20*time.Millisecond); err != nil {
				return load, err
			}
		}
	}
	load.Landed, load.CPU = time.Since(t0), processCPU()-cpu0
	return load, nil
}

var smsWebhook = sync.OnceValue(func() *http.Client { return &http.Client{Timeout: 30 * time.Second} })

// postSMS delivers a customer's text as the SMS provider would: a signed
// webhook to the gateway, which must answer 200.
func (w *world) postSMS(o opened, text, sid string) error {
	d := w.dirs[o.slot.Tenant]
	epID, _ := entryPoint(&d, model.SMS)
	ep, _ := d.EntryPoint(epID)
	u := w.env.GatewayURL + "/webhooks/sms"
	form := url.Values{"From": {o.to}, "To": {ep.Address}, "Body": {text}, "MessageSid": {sid}}
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(sms.SignatureHeader, sms.Signature(testenv.SMSAuthToken, u, form))
	resp, err := smsWebhook().Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook %s: %s", sid, resp.Status)
	}
	return nil
}

func printInbound(out io.Writer, r *inboundResult) {
	n := r.Customers * r.Messages
	fmt.Fprintf(out, "\n(f) inbound: %d customers, each sending %d messages one after another, all customers at once\n", r.Customers, r.Messages)
	for _, l := range []struct {
		name string
		load inboundLoad
	}{{"straight into the conversation (a reply update)", r.Direct}, {"through the signed SMS webhook and the customer's record", r.Webhook}} {
		fmt.Fprintf(out, "    %s: answered in %.1f s, all in their transcripts in %.1f s (%.0f msg/s), %.1f ms CPU/msg\n",
			l.name, l.load.Acked.Seconds(), l.load.Landed.Seconds(), float64(n)/l.load.Landed.Seconds(), ms(l.load.perMessage(n)))
	}
	fmt.Fprintf(out, "    the channel's path costs %.2f× the CPU of the straight one per message\n",
		float64(r.Webhook.perMessage(n))/float64(r.Direct.perMessage(n)))
}
