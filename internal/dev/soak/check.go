package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"outbound/internal/api"
	"outbound/internal/email"
	"outbound/internal/model"
)

// Report is what Check found.
type Report struct {
	Conversations int
	Acknowledged  int64
	// Lost: acknowledged operations missing from the transcript, or agent
	// messages the provider never received.
	Lost int
	// Duplicated: texts in a transcript more than once, or messages the
	// provider received more often than the conversation sent them.
	Duplicated int
	// Stuck: conversations not closed, messages not delivered, agents still
	// holding a slot when the deadline passed.
	Stuck   int
	Refused int // docs/rules.md §5 refusals of operations that should have passed
	// NotCreated: starts answered TASK_CREATION_FAILED, as rule 8 wants of a
	// start that cannot be done within seconds (a fault was on): an answer,
	// not a failure. The refused start left nothing behind (no slot, nothing
	// sent: Check finds either) and the load started the conversation again.
	NotCreated int
	Reissued   int64    // requests sent anew after failing reissueAfter times in a row
	Problems   []string // what each count is made of, the first ones
}

// OK says nothing was lost, duplicated, stuck or refused.
func (r Report) OK() bool { return r.Lost+r.Duplicated+r.Stuck+r.Refused == 0 }

func (r Report) String() string {
	s := fmt.Sprintf("conversations %d, operations acknowledged %d, lost %d, duplicated %d, stuck %d, refused %d, starts not created in time %d, reissued %d",
		r.Conversations, r.Acknowledged, r.Lost, r.Duplicated, r.Stuck, r.Refused, r.NotCreated, r.Reissued)
	for _, p := range r.Problems {
		s += "\n  " + p
	}
	return s
}

const maxProblems = 20

func (r *Report) problem(count *int, format string, args ...any) {
	*count++
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Check waits (until deadline) for every conversation of the load to settle
// (closed, every agent message delivered, every agent's slots free), then
// compares the transcripts and the provider's outbox (outbox: the SMS and
// SMTP stand-ins' directory) with what was acknowledged.
func (l *Load) Check(ctx context.Context, outbox string, deadline time.Duration) Report {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	l.mu.Lock()
	convs := append([]*conversation(nil), l.convs...)
	rep := Report{Conversations: len(convs), Acknowledged: l.acked.Load(), Reissued: l.reissued.Load(), NotCreated: l.notCreated}
	for _, r := range l.refused {
		rep.problem(&rep.Refused, "refused: %s", r)
	}
	l.mu.Unlock()

	states := l.settle(ctx, convs)
	for _, c := range convs {
		st, settled := states[c].state, states[c].settled
		if !settled {
			rep.problem(&rep.Stuck, "%s: not settled (status %q, messages %s)", c.id, st.Status, statuses(st))
		}
		l.compare(&rep, c, st)
		compareOutbox(&rep, outbox, c, st)
	}
	for agent, inUse := range l.busyAgents(ctx) {
		rep.problem(&rep.Stuck, "%s still holds %d slots", agent, inUse)
	}
	return rep
}

type outcome struct {
	state   api.ConversationState
	settled bool
}

// settle polls the conversations until each is closed (if its close was
// acknowledged) with every agent message delivered (SMS: the provider's
// callback; email: accepted by SMTP), or the deadline passes.
func (l *Load) settle(ctx context.Context, convs []*conversation) map[*conversation]outcome {
	out := map[*conversation]outcome{}
	for {
		pending := 0
		for _, c := range convs {
			if out[c].settled {
				continue
			}
			qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			st, err := l.Client.Show(qctx, c.id)
			cancel()
			if err == nil {
				done := (!c.closed || st.Status == api.StatusClosed) && allDelivered(st, c.channel)
				out[c] = outcome{st, done}
			}
			if !out[c].settled {
				pending++
			}
		}
		if pending == 0 {
			return out
		}
		select {
		case <-ctx.Done():
			return out
		case <-time.After(2 * time.Second):
		}
	}
}

// compare counts each acknowledged text in the transcript: once is right.
func (l *Load) compare(rep *Report, c *conversation, st api.ConversationState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := map[string]int{}
	for _, m := range append(st.PreviousMessages, st.Messages...) {
		seen[m.Direction+"\x00"+m.Text]++
	}
	check := func(direction string, texts []string) {
		for _, text := range texts {
			switch n := seen[direction+"\x00"+text]; {
			case n == 0:
				rep.problem(&rep.Lost, "%s: acknowledged %s %q is not in the transcript", c.id, direction, text)
			case n > 1:
				rep.problem(&rep.Duplicated, "%s: %s %q is in the transcript %d times", c.id, direction, text, n)
			}
		}
	}
	check(model.Outbound, c.agentText)
	check(model.Inbound, c.replies)
}

func allDelivered(st api.ConversationState, ch model.Channel) bool {
	for _, m := range outbound(st) {
		if m.Status != model.MessageDelivered && (ch == model.SMS || m.Status != model.MessageSent) {
			return false
		}
	}
	return true
}

func outbound(st api.ConversationState) []model.Message {
	var out []model.Message
	for _, m := range append(st.PreviousMessages, st.Messages...) {
		if m.Direction == model.Outbound {
			out = append(out, m)
		}
	}
	return out
}

func statuses(st api.ConversationState) string {
	var parts []string
	for _, m := range outbound(st) {
		parts = append(parts, m.ID+"="+m.Status)
	}
	return strings.Join(parts, " ")
}

// compareOutbox compares what the provider received for the conversation's
// customer with its transcript, message by message: each agent message under
// its own key (SMS: the idempotency key; email: the Message-ID) once, with
// its own text, and nothing else under a key of the conversation.
func compareOutbox(rep *Report, outbox string, c *conversation, st api.ConversationState) {
	received := map[string][]string{} // key → texts
	var err error
	if c.channel == model.SMS {
		err = readSMSOutbox(outbox, c.customer, received)
	} else {
		err = readEmailOutbox(outbox, c.customer, received)
	}
	if err != nil {
		rep.problem(&rep.Lost, "%s: the outbox cannot be read: %v", c.id, err)
		return
	}
	mine := map[string]bool{}
	for _, m := range st.Messages {
		if m.Direction != model.Outbound {
			continue
		}
		key := outboxKey(c.channel, st, m)
		mine[key] = true
		switch texts := received[key]; {
		case len(texts) == 0:
			rep.problem(&rep.Lost, "%s: message %s (%q) never reached the provider", c.id, m.ID, m.Text)
		case len(texts) > 1:
			rep.problem(&rep.Duplicated, "%s: the provider received message %s %d times", c.id, m.ID, len(texts))
		case strings.TrimSpace(texts[0]) != strings.TrimSpace(m.Text):
			rep.problem(&rep.Lost, "%s: the provider sent %q under message %s's key; the transcript says %q", c.id, texts[0], m.ID, m.Text)
		}
	}
	for key, texts := range received {
		if strings.Contains(key, outboxConversation(c.channel, st)) && !mine[key] {
			rep.problem(&rep.Duplicated, "%s: the provider received %q under a key no message of the transcript has", c.id, texts[0])
		}
	}
}

// outboxKey is what the provider knows message m by.
func outboxKey(ch model.Channel, st api.ConversationState, m model.Message) string {
	if ch == model.SMS {
		return model.Delivery{Conversation: st.ID, Key: m.Key}.IdempotencyKey()
	}
	return email.MessageIDFor(st.ID, m.Key, st.EntryAddress)
}

// outboxConversation is the part of every key of a message of the
// conversation's workflow ID: also those of a start refused before it, which
// must have sent nothing.
func outboxConversation(ch model.Channel, st api.ConversationState) string {
	if ch == model.SMS {
		return st.WorkflowID + "/"
	}
	return strings.ReplaceAll(st.WorkflowID, "/", ".") + "."
}

// readSMSOutbox adds the SMS stand-in's messages to customer, by idempotency key.
func readSMSOutbox(outbox, customer string, received map[string][]string) error {
	files, err := filepath.Glob(filepath.Join(outbox, "sms", "*.json"))
	for _, f := range files {
		var rec struct {
			To   string `json:"to"`
			Body string `json:"body"`
			Key  string `json:"idempotencyKey"`
		}
		if data, err := os.ReadFile(f); err == nil && json.Unmarshal(data, &rec) == nil && rec.To == customer {
			received[rec.Key] = append(received[rec.Key], rec.Body)
		}
	}
	return err
}

// readEmailOutbox adds the SMTP stand-in's emails to customer, by Message-ID.
func readEmailOutbox(outbox, customer string, received map[string][]string) error {
	files, err := filepath.Glob(filepath.Join(outbox, "email", "*.eml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		env, err := enmime.ReadEnvelope(bytes.NewReader(data))
		if err != nil {
			continue
		}
		to, err := mail.ParseAddress(env.GetHeader("To"))
		if err != nil || !strings.EqualFold(to.Address, customer) {
			continue
		}
		id := strings.Trim(strings.TrimSpace(env.GetHeader("Message-Id")), "<>")
		received[id] = append(received[id], env.Text)
	}
	return err
}

// busyAgents waits for the load's agents to hold no slot (wrap-up ends after
// the directory's 5 s) and returns those still holding one at the deadline.
func (l *Load) busyAgents(ctx context.Context) map[string]int {
	for {
		busy := map[string]int{}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		agents, err := l.Client.Agents(actx, "")
		cancel()
		for _, a := range agents {
			if a.InUse > 0 {
				busy[a.ID] = a.InUse
			}
		}
		if err == nil && len(busy) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return map[string]int{"(agents unreadable: " + err.Error() + ")": 1}
			}
			return busy
		case <-time.After(time.Second):
		}
	}
}
