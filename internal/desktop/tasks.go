package desktop

import (
	"context"
	"time"

	"outbound/internal/api"
	"outbound/internal/model"
)

// taskList is the left pane: what the agent holds, what is offered to it,
// what it must wrap up, and what waits in its queues. The agent's workflow
// (its slots) is the truth; each conversation's own state fills in the rest.
type taskList struct {
	Active, Offers, WrapUps []task
	Waiting                 []waitingTask
}

type task struct {
	ID       string
	Channel  model.Channel
	Customer string
	Last     string    // the last message's text
	Unread   int       // customer messages since the agent last wrote
	Failed   int       // agent messages that could not be delivered
	Due      time.Time // an offer times out, or a wrap-up's default reason applies, then
}

type waitingTask struct {
	ID        string
	Queue     string
	Channel   model.Channel
	Since     time.Time
	OfferedTo string
}

func readTasks(ctx context.Context, a agentRequest, st api.AgentState) (taskList, error) {
	var out taskList
	for _, slot := range st.Slots {
		if slot.Role == api.SlotWrapUp {
			t := task{ID: slot.Conversation, Due: slot.WrapUpDue}
			if conv, err := a.client.Show(ctx, slot.Conversation); err == nil { // else closed and gone: the id says which
				t.Channel, t.Customer = conv.Channel, conv.Customer
			}
			out.WrapUps = append(out.WrapUps, t)
			continue
		}
		conv, err := a.client.Show(ctx, slot.Conversation)
		if err != nil {
			return out, err
		}
		t := task{ID: conv.ID, Channel: conv.Channel, Customer: conv.Customer, Unread: unread(conv.Messages), Failed: failed(conv.Messages)}
		if n := len(conv.Messages); n > 0 {
			t.Last = conv.Messages[n-1].Text
		}
		if slot.Role == api.SlotOffered {
			if p := conv.PendingTransfer; p != nil {
				t.Due = p.OfferExpires
			}
			out.Offers = append(out.Offers, t)
		} else {
			out.Active = append(out.Active, t)
		}
	}
	dir, err := a.client.Directory(ctx)
	if err != nil {
		return out, err
	}
	for _, q := range dir.QueuesOf(a.Agent) {
		line, err := a.client.Waiting(ctx, a.Tenant, q.ID)
		if err != nil {
			return out, err
		}
		for _, w := range line {
			out.Waiting = append(out.Waiting, waitingTask{ID: w.ID, Queue: q.Name, Channel: w.Channel, Since: w.Since, OfferedTo: w.OfferedTo})
		}
	}
	return out, nil
}

// unread counts the customer's messages after the last one an agent wrote:
// what nobody has answered yet.
func unread(messages []model.Message) int {
	n := 0
	for _, m := range messages {
		if m.Direction == model.Inbound {
			n++
		} else {
			n = 0
		}
	}
	return n
}

func failed(messages []model.Message) int {
	n := 0
	for _, m := range messages {
		if m.Direction == model.Outbound && m.Status == model.MessageFailed {
			n++
		}
	}
	return n
}
