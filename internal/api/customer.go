package api

import (
	"context"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"outbound/internal/model"
)

// CustomerWorkflow is a customer's record: the email subjects already used
// with them (rule 11), their SMS opt-outs and their recent conversations, so
// a new one inherits the last one's history (rule 16).
const CustomerWorkflow = "Customer"

// The Customer's operations. A starting conversation registers with the
// record by update (through an activity: a reused subject or an opt-out
// refuses the start); what it tells the record afterwards is a signal.
const (
	CustomerOpen   Update[CustomerOpenRequest, CustomerContext] = "open"
	CustomerClosed Signal[CustomerClosedRequest]                = "closed"
	CustomerOptOut Signal[OptOutRequest]                        = "optOut"
	// CustomerForget undoes the open of a conversation whose start was
	// refused after its open may have landed (the activity failed).
	CustomerForget Signal[ForgetRequest] = "forget"
	// CustomerLateStatus is a provider's delivery status that came after its
	// conversation ended (a webhook's notification).
	CustomerLateStatus Signal[DeliveryStatusRequest] = "lateStatus"
	// CustomerInbound are messages the customer sent, in arrival order: the
	// record routes each into its conversation, once per provider message
	// id. Several in one signal: a burst is a few writes, not one each.
	CustomerInbound Signal[[]InboundRequest] = "inbound-batch"
	// CustomerInboundOne is the one-message signal of earlier clients.
	CustomerInboundOne Signal[InboundRequest] = "inbound"
	CustomerQuery      Query[CustomerState]   = "state"
)

// CustomerWorkflowID names a customer's record: a keyed hash, not the address.
func CustomerWorkflowID(tenant, customerKey string) string {
	return "customer/" + tenant + "/" + customerKey
}

// CustomerWorkflowIDOf names the record of a conversation's customer.
func CustomerWorkflowIDOf(conversation string) (string, bool) {
	workflowID, _, ok := SplitConversationID(conversation)
	parts := strings.Split(workflowID, "/") // conversation/tenant/entry point/customer key
	if !ok || len(parts) != 4 {
		return "", false
	}
	return CustomerWorkflowID(parts[1], parts[3]), true
}

// OpenCustomer registers a conversation with the customer's record, starting
// the record on the customer's first conversation.
func OpenCustomer(ctx context.Context, c client.Client, req CustomerOpenRequest) (CustomerContext, error) {
	return CustomerOpen.CallWithStart(ctx, c, customerStart(req.Tenant, req.Key), req)
}

// SendInbound hands a customer's messages (of one tenant) to their record,
// starting the record on first contact. Once it returns the messages are
// durable: the record routes them even if every worker restarts before it
// does.
func SendInbound(ctx context.Context, c client.Client, key string, reqs []InboundRequest) error {
	return CustomerInbound.SendWithStart(ctx, c, customerStart(reqs[0].Tenant, key), reqs)
}

func customerStart(tenant, key string) Start {
	return Start{
		Options: client.StartWorkflowOptions{
			ID:                       CustomerWorkflowID(tenant, key),
			TaskQueue:                TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		},
		Workflow: CustomerWorkflow,
		Input:    CustomerState{Tenant: tenant, Key: key},
	}
}

// CustomerState is the record's state: its input, its query's answer and its
// continue-as-new carry-over.
type CustomerState struct {
	Tenant        string                 `json:"tenant"`
	Key           string                 `json:"key"`
	Subjects      []string               `json:"subjects,omitempty"`
	OptedOut      []string               `json:"optedOut,omitempty"` // entry points the customer opted out of (SMS)
	Conversations []CustomerConversation `json:"conversations,omitempty"`
	// Received are the provider message ids of the customer's recent
	// messages, oldest first, kept for ProviderRetryWindow: a provider's
	// retry of one of them is dropped, whatever restarted in between.
	Received []Received `json:"received,omitempty"`
	// Held are the recent messages no conversation took, latest last
	// (bounded): unauthenticated emails that named the customer while a
	// conversation was open, and messages a conversation refused.
	Held []HeldMessage `json:"held,omitempty"`
	// Forgotten are the conversations whose start was refused after their
	// open was sent (bounded): an open of one that lands late is refused.
	Forgotten []string `json:"forgotten,omitempty"`
}

// HeldMessage is an unauthenticated email kept out of the open conversation.
type HeldMessage struct {
	EntryPoint   string    `json:"entryPoint"`
	Conversation string    `json:"conversation,omitempty"` // the open conversation it did not join
	Refused      string    `json:"refused,omitempty"`      // the docs/rules.md §5 code that refused it
	At           time.Time `json:"at"`
	model.CustomerMessage
}

// Routed is where a customer message went: into Conversation, or, when Held,
// into the customer's record beside it.
type Routed struct {
	Conversation string `json:"conversation"`
	Held         bool   `json:"held,omitempty"`
	Body         string `json:"body,omitempty"` // a held message's whole body in the archive
}

// ProviderRetryWindow is how long a provider may deliver a message again:
// SMTP senders give up after 4–5 days (RFC 5321 §4.5.4.1), SMS providers
// retry a webhook within hours.
const ProviderRetryWindow = 5 * 24 * time.Hour

// Received is one customer message the record routed: where it landed, or
// why it could not be ("" and Refused).
type Received struct {
	EntryPoint   string    `json:"entryPoint"`
	ProviderID   string    `json:"providerId"`
	At           time.Time `json:"at"`
	Conversation string    `json:"conversation,omitempty"`
	Held         bool      `json:"held,omitempty"`    // kept in the record (HeldMessage)
	Refused      string    `json:"refused,omitempty"` // the docs/rules.md §5 code that refused it
}

// InboundRequest is a customer message for their record to route (rule 10):
// into the conversation its email headers name (Thread), else the open one
// on the entry point, else a new conversation in the entry point's queue.
type InboundRequest struct {
	Tenant     string        `json:"tenant"`
	Channel    model.Channel `json:"channel"`
	EntryPoint string        `json:"entryPoint"`
	From       string        `json:"from"` // normalised
	Thread     string        `json:"thread,omitempty"`
	model.CustomerMessage
	Request
}

// CustomerConversation is one conversation in a customer's record.
type CustomerConversation struct {
	ID           string          `json:"id"`
	EntryPoint   string          `json:"entryPoint"`
	Subject      string          `json:"subject,omitempty"`
	StartedAt    time.Time       `json:"startedAt"`
	ClosedAt     time.Time       `json:"closedAt,omitempty"`
	LastMessages []model.Message `json:"lastMessages,omitempty"`
	// DeliveryCheckAfter: see CustomerClosedRequest.
	DeliveryCheckAfter time.Duration `json:"deliveryCheckAfter,omitempty"`
	// LateStatuses are the delivery statuses that came after the
	// conversation ended, latest last (bounded); LastMessages shows them too.
	LateStatuses []LateStatus `json:"lateStatuses,omitempty"`
}

// LateStatus is a provider's status for a message of an ended conversation.
type LateStatus struct {
	MessageID string    `json:"messageId"`
	Status    string    `json:"status"`
	Error     string    `json:"error,omitempty"`
	At        time.Time `json:"at"`
}

// CustomerOpenRequest registers a new conversation with the customer's record.
type CustomerOpenRequest struct {
	Tenant       string    `json:"tenant"`
	Key          string    `json:"key"`
	Conversation string    `json:"conversation"`
	EntryPoint   string    `json:"entryPoint"`
	Subject      string    `json:"subject,omitempty"`
	At           time.Time `json:"at"`
	// RefuseOptedOut refuses an agent's SMS conversation to a customer who
	// opted out of this entry point (OPTED_OUT); a customer's own message is
	// always taken.
	RefuseOptedOut bool `json:"refuseOptedOut,omitempty"`
}

// CustomerContext is what a new conversation inherits from the previous one.
type CustomerContext struct {
	PreviousConversation string          `json:"previousConversation,omitempty"`
	PreviousMessages     []model.Message `json:"previousMessages,omitempty"`
	OptedOut             bool            `json:"optedOut,omitempty"`
}

// CustomerClosedRequest records a closed conversation's last messages.
type CustomerClosedRequest struct {
	Conversation string          `json:"conversation"`
	ClosedAt     time.Time       `json:"closedAt"`
	LastMessages []model.Message `json:"lastMessages"`
	// DeliveryCheckAfter: the record goes on with the delivery checks of
	// the last messages (0: none, an email conversation's).
	DeliveryCheckAfter time.Duration `json:"deliveryCheckAfter,omitempty"`
}

// ForgetRequest names the conversation a record forgets, with its subject.
type ForgetRequest struct {
	Conversation string `json:"conversation"`
}

// OptOutRequest records an SMS opt-out or opt-in for one entry point.
type OptOutRequest struct {
	EntryPoint string `json:"entryPoint"`
	OptedOut   bool   `json:"optedOut"`
}
