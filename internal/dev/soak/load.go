package soak

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/gateway"
	"outbound/internal/model"
	"outbound/internal/sms"
)

// Load drives conversations the way agents and customers do: each
// conversation starts, exchanges Rounds messages each way (customer replies
// by the signed SMS webhook; email conversations get agent messages only),
// is transferred to a second agent halfway, and closes. Every operation is
// repeated with its request id (a webhook with its MessageSid) until it is
// acknowledged, as a client that lost an answer would; what was acknowledged
// is recorded for Check.
type Load struct {
	Client     *conversations.Client
	GatewayURL string // the gateway's PUBLIC_URL: webhooks are signed over it
	SMSToken   string
	Run        string // makes this run's customers and texts unique
	Rounds     int
	HTTP       *http.Client

	acked    atomic.Int64
	reissued atomic.Int64
	mu       sync.Mutex
	convs    []*conversation
	// refused are operations answered with a docs/rules.md §5 refusal: none is expected.
	refused    []string
	notCreated int // starts answered TASK_CREATION_FAILED (see Report)
	// inFlight is each unacknowledged operation's last attempt.
	inFlight map[string]string
}

// InFlight lists the operations not acknowledged yet, with their last error.
func (l *Load) InFlight() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, v := range l.inFlight {
		out = append(out, v)
	}
	return out
}

// conversation is what one conversation was acknowledged to do.
type conversation struct {
	id        string
	channel   model.Channel
	customer  string
	owner     string
	agentText []string
	replies   []string
	closed    bool
}

// Acknowledged is the number of operations acknowledged so far.
func (l *Load) Acknowledged() int64 { return l.acked.Load() }

// Wave runs n conversations at once (n at most the directory's agents / 2),
// each through its script, and returns when all have finished or ctx ends.
func (l *Load) Wave(ctx context.Context, wave, n int) {
	l.record(func() {
		if l.inFlight == nil {
			l.inFlight = map[string]string{}
		}
	})
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() { l.conversation(ctx, wave, k) })
	}
	wg.Wait()
}

func (l *Load) conversation(ctx context.Context, wave, k int) {
	name := fmt.Sprintf("%s-w%d-c%d", l.Run, wave, k)
	c := &conversation{owner: agentID(2 * k), channel: model.SMS}
	partner := agentID(2*k + 1)
	opts := conversations.StartOptions{Agent: c.owner, First: &model.Compose{Text: name + " a0"}}
	if k%2 == 0 {
		c.customer = phone(l.Run, wave, k)
		opts.Channel, opts.EntryPoint = model.SMS, smsEntryPoint
	} else {
		c.channel, c.customer = model.Email, name+"@customer.example"
		opts.Channel, opts.EntryPoint, opts.Subject = model.Email, emailEntryPoint, "Your request "+name
	}
	opts.To = c.customer
	// A start is sent anew only when refused with TASK_CREATION_FAILED
	// (do): another request for the same customer is refused while this
	// one's conversation is open.
	if !l.do(ctx, name+"/start", func(ctx context.Context) (err error) {
		c.id, err = l.Client.Start(ctx, opts)
		return err
	}) {
		return
	}
	c.agentText = append(c.agentText, opts.First.Text)
	l.mu.Lock()
	l.convs = append(l.convs, c)
	l.mu.Unlock()

	for r := 1; r <= l.Rounds; r++ {
		text := fmt.Sprintf("%s a%d", name, r)
		if !l.do(ctx, name+"/"+text, func(ctx context.Context) error {
			_, err := l.Client.Send(ctx, conversations.Sync, c.id, c.owner, model.Compose{Text: text})
			return err
		}) {
			return
		}
		l.record(func() { c.agentText = append(c.agentText, text) })
		if c.channel == model.SMS {
			reply := fmt.Sprintf("%s c%d", name, r)
			if !l.do(ctx, name+"/"+reply, func(ctx context.Context) error { return l.webhook(ctx, c.customer, reply) }) {
				return
			}
			l.record(func() { c.replies = append(c.replies, reply) })
			// The agent answers what it has read: the next round waits for
			// the reply to land (Check reports one that never does).
			l.landed(ctx, c.id, reply)
		}
		if r == l.Rounds/2 && !l.transfer(ctx, name, c, partner) {
			return
		}
	}
	if l.do(ctx, name+"/close", func(ctx context.Context) error {
		_, err := l.Client.Close(ctx, c.id, c.owner)
		return err
	}) {
		l.record(func() { c.closed = true })
	}
}

// landed waits until the customer's text is in the transcript.
func (l *Load) landed(ctx context.Context, id, text string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		if st, err := l.Client.Show(ctx, id); err == nil {
			for _, m := range st.Messages {
				if m.Direction == model.Inbound && m.Text == text {
					return
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// transfer offers the conversation to partner, who accepts it.
func (l *Load) transfer(ctx context.Context, name string, c *conversation, partner string) bool {
	if !l.do(ctx, name+"/transfer", func(ctx context.Context) error {
		_, err := l.Client.Transfer(ctx, c.id, c.owner, partner, "")
		if codes.Is(err, codes.NotOwner) && l.offeredTo(ctx, c.id, partner) {
			// A transfer sent anew (the first ones failed under the
			// faults) finds the earlier one landed.
			return nil
		}
		return err
	}) {
		return false
	}
	if !l.do(ctx, name+"/accept", func(ctx context.Context) error {
		_, err := l.Client.Accept(ctx, c.id, partner)
		if codes.Is(err, codes.NoPendingOffer) {
			// An accept sent anew (the first ones failed under the faults)
			// may find the earlier one landed; or the offer timed out, and
			// the conversation waits to be offered again or picked up.
			if st, showErr := l.Client.Show(ctx, c.id); showErr == nil && st.Owner == partner {
				return nil
			}
			return errors.New("no offer of the conversation waits for " + partner + " yet")
		}
		return err
	}) {
		return false
	}
	l.record(func() { c.owner = partner })
	return true
}

// offeredTo says whether the conversation is offered to partner or already
// theirs.
func (l *Load) offeredTo(ctx context.Context, id, partner string) bool {
	st, err := l.Client.Show(ctx, id)
	if err != nil {
		return false
	}
	t := st.PendingTransfer
	return st.Owner == partner || t != nil && t.OfferedTo == partner
}

func (l *Load) record(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f()
}

// reissueAfter is how many failures in a row make the agent send a request
// anew: the same request id gets the first answer again, and an update that
// failed (a transfer whose entity update ran out of time) fails again.
const reissueAfter = 5

// do runs op with requestID until it is acknowledged. An error that is not
// a docs/rules.md §5 refusal (the frontend unreachable, OUTCOME_UNKNOWN, a webhook
// answered 5xx, a transfer out of time) is retried, as a new request after
// reissueAfter failures; a refusal is recorded and ends the script.
func (l *Load) do(ctx context.Context, requestID string, op func(context.Context) error) bool {
	base, failures := requestID, 0
	for {
		l.record(func() { l.inFlight[base] = fmt.Sprintf("%s: attempt %d", requestID, failures+1) })
		err := op(conversations.WithRequestID(ctx, requestID))
		if requestID != base && strings.HasSuffix(base, "/close") && codes.Is(err, codes.ConversationClosed) {
			err = nil // a close sent anew finds the earlier one landed: it is acknowledged
		}
		if err == nil {
			l.acked.Add(1)
			l.record(func() { delete(l.inFlight, base) })
			return true
		}
		if _, _, refused := codes.Of(err); !refused || codes.Is(err, codes.OutcomeUnknown) {
			l.record(func() { l.inFlight[base] = fmt.Sprintf("%s: attempt %d failed: %v", requestID, failures+1, err) })
		}
		if ctx.Err() != nil {
			return false
		}
		code, _, refused := codes.Of(err)
		switch {
		case code == codes.TaskCreationFailed && strings.HasSuffix(base, "/start"):
			// Rule 8's answer while a fault is on: nothing was created, so
			// the agent starts again, as a new request.
			l.record(func() { l.notCreated++ })
			failures += reissueAfter - 1 - failures%reissueAfter // sent anew below
		case refused && code != codes.OutcomeUnknown:
			l.record(func() { l.refused = append(l.refused, requestID+": "+err.Error()+"; before: "+l.inFlight[base]) })
			return false
		}
		if failures++; failures%reissueAfter == 0 && (!strings.HasSuffix(base, "/start") || code == codes.TaskCreationFailed) {
			requestID = fmt.Sprintf("%s#%d", base, failures/reissueAfter+1)
			l.reissued.Add(1)
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// webhook posts the customer's SMS as the provider does, signed, with a
// MessageSid of its own that a retry repeats.
func (l *Load) webhook(ctx context.Context, from, text string) error {
	sum := sha256.Sum256([]byte(text))
	form := url.Values{"From": {from}, "To": {smsAddress}, "Body": {text}, "MessageSid": {"SM" + hex.EncodeToString(sum[:16])}}
	u := l.GatewayURL + gateway.InboundSMSPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(sms.SignatureHeader, sms.Signature(l.SMSToken, u, form))
	resp, err := l.HTTP.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook: HTTP %d", resp.StatusCode)
	}
	return nil
}

// phone is a customer number of the run (the exchange, from its name) and
// of the wave's conversation (four digits). A North American exchange starts
// with 2–9 and is not a service code (N11).
func phone(run string, wave, k int) string {
	sum := sha256.Sum256([]byte(run))
	exchange := 200 + (int(sum[0])<<8|int(sum[1]))%800
	if exchange%100 == 11 {
		exchange++
	}
	return fmt.Sprintf("+1415%03d%04d", exchange, (wave*100+k)%10_000)
}
