package api

import (
	"context"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
)

// QueueWorkflow is one queue of a tenant: the conversations waiting in it, in
// order of arrival, and the routing that offers the longest-waiting one to the
// longest-available agent of the queue who can take it (docs/rules.md §3, rules 17–19).
// A queue per queue, not a router per tenant: queues route independently, and
// an agent in two queues is kept from taking too much by its own workflow,
// which grants each offer its slot.
const QueueWorkflow = "Queue"

// The Queue's operations: all notifications. A conversation joins the line
// (a transfer to the queue, a dropped offer, a customer's first message),
// tells the queue how an offer ended, and leaves the line once someone took
// it; an agent of the queue wakes it when it can take a conversation; the
// worker gives it its members.
const (
	QueueEnqueue    Signal[Waiting]      = "enqueue"
	QueueOfferEnded Signal[OfferEnded]   = "offerEnded" // declined or unanswered: back in line, not to that agent again
	QueueLeave      Signal[QueueLeaving] = "leave"      // taken, or gone
	QueueWake       Signal[QueueWaking]  = "wake"
	QueueConfigure  Signal[QueueConfig]  = "configure"
	QueueQuery      Query[QueueState]    = "state"
)

// QueueWorkflowID names a queue's workflow.
func QueueWorkflowID(tenant, queue string) string { return "queue/" + tenant + "/" + queue }

// QueueConfigFrom is a queue's directory entry as its workflow keeps it.
func QueueConfigFrom(dir *directory.Directory, queue string) (QueueConfig, error) {
	q, ok := dir.Queue(queue)
	if !ok {
		return QueueConfig{}, codes.New(codes.UnknownQueue, "no queue %q in tenant %s", queue, dir.Tenant)
	}
	return QueueConfig{Tenant: dir.Tenant, ID: q.ID, Members: q.Agents, ReofferAfter: dir.ReofferAfter}, nil
}

func queueStart(cfg QueueConfig) Start {
	return Start{
		Options: client.StartWorkflowOptions{
			ID:                       QueueWorkflowID(cfg.Tenant, cfg.ID),
			TaskQueue:                TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		},
		Workflow: QueueWorkflow,
		Input:    QueueState{Config: cfg},
	}
}

// ConfigureQueue gives the queue's workflow its members, starting it if needed.
func ConfigureQueue(ctx context.Context, c client.Client, cfg QueueConfig) error {
	return QueueConfigure.SendWithStart(ctx, c, queueStart(cfg), cfg)
}

// EnqueueConversation puts a conversation in the queue's line, starting the
// queue's workflow if needed.
func EnqueueConversation(ctx context.Context, c client.Client, cfg QueueConfig, w Waiting) error {
	return QueueEnqueue.SendWithStart(ctx, c, queueStart(cfg), w)
}

// QueueConfig is the directory's view of a queue.
type QueueConfig struct {
	Tenant  string   `json:"tenant"`
	ID      string   `json:"id"`
	Members []string `json:"members"`
	// ReofferAfter: see directory.Directory (0: the default).
	ReofferAfter time.Duration `json:"reofferAfter,omitempty"`
}

// QueueState is the queue's state, query answer and continue-as-new carry.
type QueueState struct {
	Config  QueueConfig `json:"config"`
	Waiting []Waiting   `json:"waiting,omitempty"` // in order of arrival
	// Hungry is whether the queue told its members it waits for them: an
	// agent of the queue then wakes it whenever it can take a conversation
	// (runs from before the availability view).
	Hungry bool `json:"hungry,omitempty"`
	// Reports is the availability view: each member's last readiness report.
	// Asked is set once every member was asked for one.
	Reports map[string]AgentReport `json:"reports,omitempty"`
	Asked   bool                   `json:"asked,omitempty"`
}

// Waiting is a conversation in a queue's line.
type Waiting struct {
	Conversation string        `json:"conversation"` // the conversation id
	Since        time.Time     `json:"since"`        // its place in the line
	Channel      model.Channel `json:"channel"`
	Exclude      []string      `json:"exclude,omitempty"`   // agents it is not offered to (who transferred it away, declined or let it drop)
	ExcludedAt   time.Time     `json:"excludedAt,omitzero"` // when the last was excluded (the exclusions expire from then)
	OfferedTo    string        `json:"offeredTo,omitempty"` // while an offer is out
}

// OfferEnded tells the queue an offer was declined or not answered in time.
type OfferEnded struct {
	Conversation string `json:"conversation"`
	Agent        string `json:"agent"`
}

// QueueLeaving takes a conversation out of the line.
type QueueLeaving struct {
	Conversation string `json:"conversation"`
}

// QueueWaking is an agent's word to its queue. With Report set it is a
// readiness report (the queue's availability view, docs/architecture.md
// "Routing"): whether the agent can take a conversation, since when, and
// the report's number, which orders the reports of one agent workflow (Run:
// its first run, the same across continue-as-new; an agent workflow started
// again numbers from 1). Without Report, the wake of an agent run from
// before the view: it can take a conversation now.
type QueueWaking struct {
	Agent  string    `json:"agent"`
	Report bool      `json:"report,omitempty"`
	Ready  bool      `json:"ready,omitempty"`
	Since  time.Time `json:"since,omitzero"`
	Seq    int64     `json:"seq,omitempty"`
	Run    string    `json:"run,omitempty"`
}

// AgentReport is a member's last readiness report, as the queue keeps it.
type AgentReport struct {
	Ready bool      `json:"ready,omitempty"`
	Since time.Time `json:"since,omitzero"`
	Seq   int64     `json:"seq,omitempty"`
	Run   string    `json:"run,omitempty"`
}
