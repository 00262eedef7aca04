package model

import "time"

// Conversation statuses, as `show` prints them.
const (
	StatusOpening = "opening" // start rules still running; never listed
	StatusActive  = "active"
	StatusOffered = "offered"
	StatusQueued  = "queued"
	StatusClosed  = "closed"
	StatusRefused = "refused" // the start was refused; the workflow ends at once
)

// Message directions and delivery statuses.
const (
	Outbound = "outbound"
	Inbound  = "inbound"

	MessageQueued    = "queued"
	MessageSent      = "sent"
	MessageDelivered = "delivered"
	MessageFailed    = "failed"
	MessageReceived  = "received"
)

// Compose is what an agent writes: plain text or a template with variables;
// for email optionally an HTML body and inline images (rules 12, 13).
type Compose struct {
	Text     string            `json:"text,omitempty"`
	Template string            `json:"template,omitempty"`
	Vars     map[string]string `json:"vars,omitempty"`
	HTML     string            `json:"html,omitempty"`
	Images   []Image           `json:"images,omitempty"`
}

// Image is an inline image an agent attaches to an email.
type Image struct {
	Name string `json:"name"` // the file's base name; <img src="NAME"> refers to it
	Data []byte `json:"data"`
}

// CustomerMessage is a message a customer sent that arrived through a channel.
type CustomerMessage struct {
	Text       string `json:"text"`
	HTML       string `json:"html,omitempty"`    // sanitised
	Subject    string `json:"subject,omitempty"` // email
	ProviderID string `json:"providerId,omitempty"`
}

// StartRequest opens a conversation (the workflow input of the first run).
type StartRequest struct {
	Tenant     string   `json:"tenant"`
	Agent      string   `json:"agent"`
	Channel    string   `json:"channel"`
	EntryPoint string   `json:"entryPoint"`
	To         string   `json:"to"`
	Subject    string   `json:"subject,omitempty"`
	First      *Compose `json:"first,omitempty"`
	// Inbound opens a conversation the customer started (a message with no
	// open conversation): it waits in the entry point's queue.
	Inbound *CustomerMessage `json:"inbound,omitempty"`
	// ContinueAsNewAfter forces continue-as-new past this many history events
	// (0: only when the server suggests it). Tests and benchmarks lower it.
	ContinueAsNewAfter int `json:"continueAsNewAfter,omitempty"`
}

// ConversationInput is the Conversation workflow input: a start request for the
// first run, or the carried state after continue-as-new.
type ConversationInput struct {
	Start *StartRequest      `json:"start,omitempty"`
	State *ConversationState `json:"state,omitempty"`
}

// Policy is the tenant configuration a conversation needs, captured at start.
type Policy struct {
	TransferOfferTimeout time.Duration `json:"transferOfferTimeout"`
	WrapUp               WrapUpPolicy  `json:"wrapUp"`
	EntryQueue           string        `json:"entryQueue"`
	Queues               []string      `json:"queues"`
	Flows                []string      `json:"flows"` // flows an agent may trigger (rule 14)
	// No inline images for tenants on the PCI-restricted email provider or
	// on the exception list (rule 12).
	PCIEmail           bool `json:"pciEmail,omitempty"`
	InlineImagesExempt bool `json:"inlineImagesExempt,omitempty"`
}

// WrapUpPolicy is the tenant's wrap-up step (rule 20).
type WrapUpPolicy struct {
	Timeout       time.Duration `json:"timeout"`
	Reasons       []string      `json:"reasons"`
	DefaultReason string        `json:"defaultReason"`
}

// Message is one line of the transcript.
type Message struct {
	ID         string    `json:"id"`
	Direction  string    `json:"direction"`
	Agent      string    `json:"agent,omitempty"`
	Text       string    `json:"text"`
	HTML       string    `json:"html,omitempty"`
	Subject    string    `json:"subject,omitempty"`
	Template   string    `json:"template,omitempty"`
	Status     string    `json:"status"`
	Error      string    `json:"error,omitempty"`
	ProviderID string    `json:"providerId,omitempty"`
	Segments   int       `json:"segments,omitempty"`
	At         time.Time `json:"at"`
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

// WrapUp is the last owner's wrap-up step; Reason is empty while it runs.
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

// ConversationState is the whole conversation: the `state` query answer, the
// workflow result and the continue-as-new carry-over.
type ConversationState struct {
	ID           string    `json:"id"`
	WorkflowID   string    `json:"workflowId"`
	Tenant       string    `json:"tenant"`
	Status       string    `json:"status"`
	Channel      string    `json:"channel"`
	Customer     string    `json:"customer"`
	CustomerKey  string    `json:"customerKey"`
	EntryPoint   string    `json:"entryPoint"`
	EntryAddress string    `json:"entryAddress"`
	Subject      string    `json:"subject,omitempty"`
	Owner        string    `json:"owner"`
	Queue        string    `json:"queue,omitempty"`
	Messages     []Message `json:"messages"`
	// Archived are the older messages moved out of the state at
	// continue-as-new (encrypted in S3, see internal/archive), oldest page
	// first; Messages holds what follows them. A state carried whole past
	// ~11,500 messages would exceed Temporal's 2 MiB payload limit.
	Archived             []ArchivePage `json:"archived,omitempty"`
	PendingTransfer      *Transfer     `json:"pendingTransfer"`
	PreviousConversation *string       `json:"previousConversation"`
	PreviousMessages     []Message     `json:"previousMessages,omitempty"`
	WrapUp               *WrapUp       `json:"wrapUp"`
	Events               []Event       `json:"events,omitempty"`
	StartedAt            time.Time     `json:"startedAt"`
	ClosedAt             time.Time     `json:"closedAt,omitempty"`
	RefusedCode          string        `json:"refusedCode,omitempty"`
	Policy               Policy        `json:"policy"`
	NextMessage          int           `json:"nextMessage"`
	OptedOut             bool          `json:"optedOut,omitempty"` // the customer sent STOP (SMS)
	ContinueAsNewAfter   int           `json:"continueAsNewAfter,omitempty"`
}

// ArchivePage is one archived slice of a transcript, in order: the object
// key it is stored under and how many messages it holds.
type ArchivePage struct {
	Key      string `json:"key"`
	Messages int    `json:"messages"`
}

// ArchiveRequest asks the ArchiveMessages activity to store one page of a
// conversation's transcript. The same request always writes the same key, so
// a retry overwrites the page with the same messages.
type ArchiveRequest struct {
	Tenant       string    `json:"tenant"`
	Conversation string    `json:"conversation"` // the conversation id
	Page         int       `json:"page"`         // 0 to 999999, in transcript order
	Messages     []Message `json:"messages"`
}

// Open reports whether the conversation still takes messages.
func (s *ConversationState) Open() bool {
	return s.Status == StatusActive || s.Status == StatusOffered || s.Status == StatusQueued
}

// Handler requests. Every request names the conversation it is meant for, so a
// signal or update that reaches a later conversation with the same customer
// (same workflow ID) is refused instead of landing in the wrong transcript.
type (
	SendRequest struct {
		Conversation string `json:"conversation"`
		Agent        string `json:"agent"`
		Compose
	}
	ReplyRequest struct {
		Conversation string `json:"conversation"`
		CustomerMessage
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
	}
	AgentRequest struct { // accept, decline, close, conference
		Conversation string `json:"conversation"`
		Agent        string `json:"agent"`
	}
	WrapUpRequest struct {
		Conversation string `json:"conversation"`
		Agent        string `json:"agent"`
		Reason       string `json:"reason"`
	}
	TriggerRequest struct {
		Conversation string `json:"conversation"`
		Agent        string `json:"agent"`
		Flow         string `json:"flow"`
	}
)

// MessageResult answers send and reply.
type MessageResult struct {
	MessageID string `json:"messageId"`
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
}
