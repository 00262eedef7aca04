package api

import (
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"outbound/internal/model"
)

// ConversationWorkflow is one outbound conversation: its transcript, owner,
// transfer offers (durable timers) and audit trail.
const ConversationWorkflow = "Conversation"

// The Conversation's operations. What an agent does is an update: the starter
// and the desktop show its answer or its refusal. Send and reply are also
// signals, for `--async` and the webhooks, which need no answer; so is a
// provider's delivery status.
const (
	ConversationOpen           Update[OpenRequest, string]         = "open" // the conversation id once the start rules ran
	ConversationSend           Update[SendRequest, MessageResult]  = "send" // answers the delivery status
	ConversationSendSignal     Signal[SendRequest]                 = "send"
	ConversationReply          Update[ReplyRequest, MessageResult] = "reply"
	ConversationReplySignal    Signal[ReplyRequest]                = "reply"
	ConversationDeliveryStatus Signal[DeliveryStatusRequest]       = "deliveryStatus"
	ConversationTransfer       Update[TransferRequest, string]     = "transfer" // answers the status it left
	ConversationAccept         Update[AgentRequest, string]        = "accept"
	ConversationDecline        Update[AgentRequest, string]        = "decline"
	ConversationClose          Update[AgentRequest, string]        = "close"
	ConversationTrigger        Update[TriggerRequest, string]      = "trigger"
	ConversationOffer          Signal[QueueOffer]                  = "offer" // its queue reserved an agent for it
	ConversationHeld           Signal[HeldNotice]                  = "held"  // the customer's record held an unauthenticated email
	ConversationQuery          Query[ConversationState]            = "state"
)

// ConversationWorkflowID is unique per (tenant, entry point, customer), so the
// server itself refuses a second open conversation (rule 6). customerKey is a
// keyed hash of the normalised address: no PII in IDs.
func ConversationWorkflowID(tenant, entryPoint, customerKey string) string {
	return "conversation/" + tenant + "/" + entryPoint + "/" + customerKey
}

// ConversationID is the public id of one conversation: the workflow ID plus the
// run ID of its first execution, which stays the same across continue-as-new
// while a later conversation with the same customer gets a new one.
func ConversationID(workflowID, firstRunID string) string { return workflowID + "/" + firstRunID }

// SplitConversationID is the inverse of ConversationID.
func SplitConversationID(id string) (workflowID, firstRunID string, ok bool) {
	i := strings.LastIndex(id, "/")
	if i <= 0 || i == len(id)-1 || !strings.HasPrefix(id, "conversation/") {
		return "", "", false
	}
	return id[:i], id[i+1:], true
}

// ConversationTenant is the tenant a conversation id names ("" for none).
func ConversationTenant(id string) string {
	rest, ok := strings.CutPrefix(id, "conversation/")
	tenant, _, found := strings.Cut(rest, "/")
	if !ok || !found {
		return ""
	}
	return tenant
}

// ConversationStart starts a conversation, or reaches the one that runs under
// the workflow ID: its open update then answers a retry of its own start (the
// same request id) and refuses any other start (rule 6). Once a conversation
// has ended the next one with the customer may start at once. summary is the
// one line the Web UI shows for it (no PII).
func ConversationStart(workflowID string, req StartRequest, summary string) Start {
	return Start{
		Options: client.StartWorkflowOptions{
			ID:                       workflowID,
			TaskQueue:                TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			StaticSummary:            summary,
		},
		Workflow: ConversationWorkflow,
		Input:    ConversationInput{Start: &req},
	}
}

// StartRequest opens a conversation (the workflow input of the first run).
type StartRequest struct {
	Tenant     string         `json:"tenant"`
	Agent      string         `json:"agent"`
	Channel    model.Channel  `json:"channel"`
	EntryPoint string         `json:"entryPoint"`
	To         string         `json:"to"`
	Subject    string         `json:"subject,omitempty"`
	First      *model.Compose `json:"first,omitempty"`
	// Inbound opens a conversation the customer started (a message with no
	// open conversation): it waits in the entry point's queue.
	Inbound *model.CustomerMessage `json:"inbound,omitempty"`
	// ContinueAsNewAfter forces continue-as-new past this many history events
	// (0: only when the server suggests it). Tests and benchmarks lower it.
	ContinueAsNewAfter int `json:"continueAsNewAfter,omitempty"`
	Request
}

// ConversationInput is the workflow input: a start request for the first
// run, or the state carried over continue-as-new.
type ConversationInput struct {
	Start *StartRequest      `json:"start,omitempty"`
	State *ConversationState `json:"state,omitempty"`
}

// OpenRequest asks a starting conversation for its answer; the start request
// itself is the workflow's input. Its id is the start's: a retried start
// (same id) gets the conversation, any other start of the same workflow ID
// while it runs ACTIVE_CONVERSATION_EXISTS (rule 6).
type OpenRequest struct{ Request }

// StartUndecided is the error type of an open refused because another start
// of the same customer is still being decided: ACTIVE_CONVERSATION_EXISTS
// would be untrue if that start is refused. The client tries again, and then
// meets the conversation it opened or starts its own.
const StartUndecided = "START_UNDECIDED"

// Requests. Each names the conversation it is meant for, so one that reaches
// a later conversation with the same customer (same workflow ID) is refused
// instead of landing in the wrong transcript.
type (
	SendRequest struct {
		Conversation string `json:"conversation"`
		Agent        string `json:"agent"`
		model.Compose
		Request
	}
	ReplyRequest struct {
		Conversation string `json:"conversation"`
		model.CustomerMessage
		Request
	}
	// DeliveryStatusRequest is a provider's news about an outbound message.
	DeliveryStatusRequest struct {
		Conversation string `json:"conversation"`
		MessageID    string `json:"messageId"`
		Status       string `json:"status"` // sent, delivered or failed
		Error        string `json:"error,omitempty"`
	}
	TransferRequest struct {
		Conversation string `json:"conversation"`
		Agent        string `json:"agent"`
		ToAgent      string `json:"toAgent,omitempty"`
		ToQueue      string `json:"toQueue,omitempty"`
		Request
	}
	AgentRequest struct { // accept, decline, close
		Conversation string `json:"conversation"`
		Agent        string `json:"agent"`
		Request
	}
	TriggerRequest struct {
		Conversation string `json:"conversation"`
		Agent        string `json:"agent"`
		Flow         string `json:"flow"`
		Request
	}
)

// HeldNotice tells a conversation that an email from its customer's address
// failed sender authentication and was kept in the customer's record
// instead of joining it (internal/mailin).
type HeldNotice struct {
	Conversation string `json:"conversation"`
	Subject      string `json:"subject,omitempty"`
}

// QueueOffer is a queue's offer of the conversation to an agent whose slot
// the queue has reserved for it.
type QueueOffer struct {
	Conversation string `json:"conversation"`
	Queue        string `json:"queue"`
	Agent        string `json:"agent"`
}

// MessageResult answers send and reply.
type MessageResult struct {
	MessageID string `json:"messageId"`
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
}

// Conversation statuses, as `show` prints them.
const (
	StatusOpening = "opening" // start rules still running; never listed
	StatusActive  = "active"
	StatusOffered = "offered"
	StatusQueued  = "queued"
	StatusClosed  = "closed"
	StatusRefused = "refused" // the start was refused; the workflow ends at once
)

// ConversationState is the whole conversation: the query's answer, the
// workflow's result and the continue-as-new carry-over.
type ConversationState struct {
	ID           string          `json:"id"`
	WorkflowID   string          `json:"workflowId"`
	Tenant       string          `json:"tenant"`
	Status       string          `json:"status"`
	Channel      model.Channel   `json:"channel"`
	Customer     string          `json:"customer"`
	CustomerKey  string          `json:"customerKey"`
	EntryPoint   string          `json:"entryPoint"`
	EntryAddress string          `json:"entryAddress"`
	Subject      string          `json:"subject,omitempty"`
	Owner        string          `json:"owner"`
	Queue        string          `json:"queue,omitempty"`
	Messages     []model.Message `json:"messages"`
	// Archived are the older messages moved out of the state at
	// continue-as-new (encrypted in S3, see internal/archive), oldest page
	// first; Messages holds what follows them.
	Archived             []model.ArchivePage `json:"archived,omitempty"`
	PendingTransfer      *Transfer           `json:"pendingTransfer"`
	PreviousConversation *string             `json:"previousConversation"`
	PreviousMessages     []model.Message     `json:"previousMessages,omitempty"`
	WrapUp               *WrapUp             `json:"wrapUp"`
	Events               []Event             `json:"events,omitempty"`
	StartedAt            time.Time           `json:"startedAt"`
	ClosedAt             time.Time           `json:"closedAt,omitempty"`
	RefusedCode          string              `json:"refusedCode,omitempty"`
	Policy               model.Policy        `json:"policy"`
	NextMessage          int                 `json:"nextMessage"`
	OptedOut             bool                `json:"optedOut,omitempty"` // the customer sent STOP (SMS)
	ContinueAsNewAfter   int                 `json:"continueAsNewAfter,omitempty"`
	StartRequestID       string              `json:"startRequestId,omitempty"`
	Answered             []Answered          `json:"answered,omitempty"` // requests a retry must not repeat
	// EarlyStatuses are provider statuses of a message not recorded yet (see
	// workflows/status.go), applied when it is.
	EarlyStatuses []DeliveryStatusRequest `json:"earlyStatuses,omitempty"`
}

// Answered is a request a workflow acted on and the answer it gave, kept for
// RetryWindow so that a retry acts no more and gets that answer: a message's
// result (send, reply), a status (transfer, accept, decline, close, trigger)
// or the agent's slots in use (wrap-up, state).
type Answered struct {
	RequestID string         `json:"requestId"`
	At        time.Time      `json:"at"`
	Message   *MessageResult `json:"message,omitempty"`
	Status    string         `json:"status,omitempty"`
	Slots     int            `json:"slots,omitempty"`
}

// Open reports whether the conversation still takes messages.
func (s *ConversationState) Open() bool {
	return s.Status == StatusActive || s.Status == StatusOffered || s.Status == StatusQueued
}

// Transfer is a pending transfer (rules 17–19).
type Transfer struct {
	From         string    `json:"from"`
	ToAgent      string    `json:"toAgent,omitempty"`
	ToQueue      string    `json:"toQueue,omitempty"`
	OfferedTo    string    `json:"offeredTo,omitempty"`
	OfferExpires time.Time `json:"offerExpires,omitempty"`
	Tried        []string  `json:"tried,omitempty"`
}

// WrapUp is the last owner's wrap-up step (rule 20). The agent's workflow
// holds it; `show` fills in the reason from there once it is given.
type WrapUp struct {
	Agent  string    `json:"agent"`
	Reason string    `json:"reason,omitempty"`
	Auto   bool      `json:"auto,omitempty"`
	Due    time.Time `json:"due"`
}

// Event is an audit line beside the transcript (transfers, flows, closing).
type Event struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Agent  string    `json:"agent,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// The search attributes a conversation keeps current, for `list` and the Web
// UI: names and keyed hashes, never an address.
var (
	AttrTenant             = temporal.NewSearchAttributeKeyKeyword("Tenant")
	AttrChannel            = temporal.NewSearchAttributeKeyKeyword("Channel")
	AttrEntryPoint         = temporal.NewSearchAttributeKeyKeyword("EntryPoint")
	AttrCustomerKey        = temporal.NewSearchAttributeKeyKeyword("CustomerKey")
	AttrOwnerAgent         = temporal.NewSearchAttributeKeyKeyword("OwnerAgent")
	AttrConversationStatus = temporal.NewSearchAttributeKeyKeyword("ConversationStatus")
	AttrConversationID     = temporal.NewSearchAttributeKeyKeyword("ConversationId")
	AttrTransferTarget     = temporal.NewSearchAttributeKeyKeyword("TransferTarget")
)

// Attribute is one keyword search attribute's value; empty unsets it.
type Attribute struct {
	Key   temporal.SearchAttributeKeyKeyword
	Value string
}

// ConversationAttributes are the search attributes of a conversation in
// state s, always in this order.
func ConversationAttributes(s ConversationState) []Attribute {
	return []Attribute{
		{AttrTenant, s.Tenant},
		{AttrChannel, string(s.Channel)},
		{AttrEntryPoint, s.EntryPoint},
		{AttrCustomerKey, s.CustomerKey},
		{AttrConversationStatus, s.Status},
		{AttrOwnerAgent, s.Owner},
		{AttrTransferTarget, s.TransferTarget()},
		{AttrConversationID, s.ID},
	}
}

// TransferTarget is who (or which queue) the conversation waits for.
func (s *ConversationState) TransferTarget() string {
	switch t := s.PendingTransfer; {
	case t != nil && t.OfferedTo != "":
		return t.OfferedTo
	case s.Status == StatusQueued:
		return s.Queue
	}
	return ""
}

// SearchAttributes lists the attributes to register on the namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, key := range []temporal.SearchAttributeKeyKeyword{
		AttrTenant, AttrChannel, AttrEntryPoint, AttrCustomerKey,
		AttrOwnerAgent, AttrConversationStatus, AttrConversationID, AttrTransferTarget,
	} {
		out[key.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	out[AttrChangedAt.GetName()] = enumspb.INDEXED_VALUE_TYPE_DATETIME
	return out
}
