package api

import (
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
)

// AgentWorkflow is one agent's entity workflow: its state (rule 4), its
// outbound slots (rule 7), its one transfer at a time (rule 18) and its
// wrap-ups (rule 20).
const AgentWorkflow = "Agent"

// The Agent's operations. A conversation asks for a slot, and marks the one
// transfer an agent may have pending, by update (through an activity: it
// needs the refusal); the starter and the desktop set the agent's state and
// end its wrap-ups by update. What a conversation tells the agent afterwards
// is a signal, and so is the worker's refresh of the agent's directory entry.
const (
	AgentReserve          Update[ReserveRequest, int]  = "reserve" // answers the slots in use
	AgentTransferOut      Update[LeaveRequest, int]    = "transferOut"
	AgentWrapUp           Update[WrapUpRequest, int]   = "wrapup"
	AgentSetState         Update[SetStateRequest, int] = "setState"
	AgentConfigure        Signal[AgentConfig]          = "configure"
	AgentRelease          Signal[SlotRequest]          = "release" // a slot the conversation did not use
	AgentLeave            Signal[LeaveRequest]         = "leave"   // the conversation closed: wrap-up begins
	AgentOfferAccepted    Signal[SlotRequest]          = "offerAccepted"
	AgentTransferResolved Signal[SlotRequest]          = "transferResolved" // the agent may transfer again
	AgentTransferUndone   Signal[TransferUndone]       = "transferUndone"   // a transferOut whose answer was lost did not happen
	AgentNoAnswer         Signal[SlotRequest]          = "noAnswer"         // an offer timed out: RONA (rule 19)
	AgentQueueWaiting     Signal[QueueWaitingRequest]  = "queueWaiting"     // a queue of the agent asks for its readiness (before the view: waits for agents, or no longer)
	AgentQuery            Query[AgentState]            = "state"
)

// AgentWorkflowID names an agent's entity workflow.
func AgentWorkflowID(tenant, agent string) string { return "agent/" + tenant + "/" + agent }

// AgentConfigFrom is an agent's directory entry as its workflow keeps it.
func AgentConfigFrom(dir *directory.Directory, agent string) (AgentConfig, error) {
	ag, ok := dir.Agent(agent)
	if !ok {
		return AgentConfig{}, codes.New(codes.UnknownAgent, "no agent %q in tenant %s", agent, dir.Tenant)
	}
	profile, _ := dir.Profile(ag.Profile)
	var queues []string
	for _, q := range dir.QueuesOf(agent) {
		queues = append(queues, q.ID)
	}
	return AgentConfig{Tenant: dir.Tenant, ID: ag.ID, Name: ag.Name, MaxOutbound: profile.MaxOutbound,
		Queues: queues, SlotCheck: dir.SlotCheckInterval}, nil
}

func agentStart(cfg AgentConfig) Start {
	return Start{
		Options: client.StartWorkflowOptions{
			ID:                       AgentWorkflowID(cfg.Tenant, cfg.ID),
			TaskQueue:                TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		},
		Workflow: AgentWorkflow,
		Input:    AgentInput{Config: cfg},
	}
}

// UpdateAgent runs an update on the agent's workflow, starting it first if
// the agent never worked yet.
func UpdateAgent[Req, Res any](ctx context.Context, c client.Client, cfg AgentConfig, u Update[Req, Res], req Req) (Res, error) {
	return u.CallWithStart(ctx, c, agentStart(cfg), req)
}

// ConfigureAgent gives the agent's workflow its directory entry, starting it
// if needed.
func ConfigureAgent(ctx context.Context, c client.Client, cfg AgentConfig) error {
	return AgentConfigure.SendWithStart(ctx, c, agentStart(cfg), cfg)
}

// GetAgent answers the agent's state; an agent that never worked yet is
// available with every slot free.
func GetAgent(ctx context.Context, c client.Client, cfg AgentConfig) (AgentState, error) {
	st, err := AgentQuery.Get(ctx, c, AgentWorkflowID(cfg.Tenant, cfg.ID))
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return AgentState{Config: cfg, State: AgentAvailable}, nil
	}
	return st, err
}

// Agent states (rule 4: only Available and RONA may start or receive work).
const (
	AgentAvailable = "available"
	AgentIdle      = "idle"
	AgentRONA      = "rona"
)

// Slot roles: what an agent's outbound slot is held for.
const (
	SlotActive  = "active"  // owns the conversation
	SlotOffered = "offered" // a transfer offer is waiting for this agent
	SlotWrapUp  = "wrapup"  // left the conversation, wrap-up not done yet
)

// Reservation kinds.
const (
	ReserveStart  = "start"  // the agent starts an outbound conversation
	ReserveOffer  = "offer"  // a transfer offers the conversation to the agent
	ReservePickup = "pickup" // the agent takes a queued conversation
)

// SlotCheckRequest asks which of an agent's slots are held for conversations
// that ended without telling it, or no longer name it.
type SlotCheckRequest struct {
	Agent string        `json:"agent"`
	Slots []Slot        `json:"slots"`
	Asked time.Time     `json:"asked"` // the workflow task's time: what ended before it has told the agent if it could
	Grace time.Duration `json:"grace"` // a slot younger than this may not be named by its conversation yet
}

// DeadSlot is a slot its conversation no longer needs, and why.
type DeadSlot struct {
	Conversation string    `json:"conversation"`
	Since        time.Time `json:"since"` // the slot's, so a slot taken again meanwhile is kept
	Why          string    `json:"why"`
	// Ended: the conversation no longer runs. One that runs but no longer
	// names the agent settles its own queues (a timed-out offer put it
	// back in the line).
	Ended bool `json:"ended,omitempty"`
}

// AgentConfig is the directory's view of an agent, refreshed by the worker at
// start and by every reservation.
type AgentConfig struct {
	Tenant      string   `json:"tenant"`
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	MaxOutbound int      `json:"maxOutbound"`
	Queues      []string `json:"queues,omitempty"` // the queues the agent serves
	// SlotCheck is how often the agent checks its conversations still run
	// (0: every minute).
	SlotCheck time.Duration `json:"slotCheck,omitempty"`
}

// AgentInput is the workflow input.
type AgentInput struct {
	Config AgentConfig `json:"config"`
	State  *AgentState `json:"state,omitempty"` // carried over continue-as-new
}

// AgentState is the workflow's state and the query's answer.
type AgentState struct {
	Config        AgentConfig    `json:"config"`
	State         string         `json:"state"`
	Since         time.Time      `json:"since"` // when the state last changed or a slot was freed
	Slots         []Slot         `json:"slots"`
	Transferring  string         `json:"transferring,omitempty"` // rule 18
	Recent        []WrapUpRecord `json:"recentWrapUps,omitempty"`
	Answered      []Answered     `json:"answered,omitempty"`      // requests a retry must not repeat
	WaitingQueues []string       `json:"waitingQueues,omitempty"` // its queues that wait for an agent (before the availability view)
	// Reported is the readiness the agent last reported to its queues,
	// ReportSeq the number of that report, AskedBy the queues that asked for
	// one since (the availability view, docs/architecture.md "Routing").
	Reported  *AgentReport `json:"reported,omitempty"`
	ReportSeq int64        `json:"reportSeq,omitempty"`
	AskedBy   []string     `json:"askedBy,omitempty"`
}

// Slot is one unit of the agent's outbound capacity (rule 7).
type Slot struct {
	Conversation string              `json:"conversation"`
	Role         string              `json:"role"`
	Since        time.Time           `json:"since"`
	WrapUpDue    time.Time           `json:"wrapUpDue,omitempty"`
	WrapUp       *model.WrapUpPolicy `json:"wrapUpPolicy,omitempty"`
}

// WrapUpRecord is a finished wrap-up, kept for `show`.
type WrapUpRecord struct {
	Conversation string    `json:"conversation"`
	Reason       string    `json:"reason"`
	Auto         bool      `json:"auto"`
	At           time.Time `json:"at"`
}

// ReserveRequest asks an agent for a slot. The Reserve activity fills in
// Config from the directory and checks Queue membership for a pickup.
type ReserveRequest struct {
	Tenant       string      `json:"tenant"`
	Agent        string      `json:"agent"`
	Conversation string      `json:"conversation"`
	Kind         string      `json:"kind"`
	Queue        string      `json:"queue,omitempty"` // pickup: the agent must serve this queue
	Config       AgentConfig `json:"config"`
	// OnlyAvailable refuses RONA agents: queue routing offers to available agents only.
	OnlyAvailable bool `json:"onlyAvailable,omitempty"`
}

// LeaveRequest starts the wrap-up of an agent leaving a conversation, by a
// transfer (TransferOut) or a close (Leave).
type LeaveRequest struct {
	Conversation string             `json:"conversation"`
	WrapUp       model.WrapUpPolicy `json:"wrapUp"`
	Request                         // one per TransferOut activity, set by the conversation: its retries act once
}

// TransferUndone names the TransferOut request the conversation gave up on:
// if that request reaches the agent later (a lost attempt's update, delivered
// late), it changes nothing.
type TransferUndone struct {
	Conversation string `json:"conversation"`
	TransferOut  string `json:"transferOut,omitempty"`
}

// SlotRequest names the conversation a slot belongs to.
type SlotRequest struct {
	Conversation string `json:"conversation"`
}

// WrapUpRequest ends an agent's wrap-up of a conversation with a reason.
type WrapUpRequest struct {
	Conversation string `json:"conversation"`
	Reason       string `json:"reason"`
	Request
}

// QueueWaitingRequest is a queue of the agent asking for its readiness (the
// availability view). Agent runs from before the view read it as whether the
// queue has conversations waiting: while it has, the agent wakes the queue
// whenever it can take a conversation.
type QueueWaitingRequest struct {
	Queue   string `json:"queue"`
	Waiting bool   `json:"waiting"`
}

// SetStateRequest sets the agent's state.
type SetStateRequest struct {
	State  string      `json:"state"`
	Config AgentConfig `json:"config"`
	Request
}
