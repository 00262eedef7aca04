package model

import "time"

// CustomerConversation is one conversation in a customer's record.
type CustomerConversation struct {
	ID           string    `json:"id"`
	EntryPoint   string    `json:"entryPoint"`
	Subject      string    `json:"subject,omitempty"`
	StartedAt    time.Time `json:"startedAt"`
	ClosedAt     time.Time `json:"closedAt,omitempty"`
	LastMessages []Message `json:"lastMessages,omitempty"`
}

// CustomerState is the Customer record workflow's state: the subjects already
// used (rule 11) and the recent conversations a new one inherits (rule 16).
type CustomerState struct {
	Tenant        string                 `json:"tenant"`
	Key           string                 `json:"key"`
	Subjects      []string               `json:"subjects,omitempty"`
	OptedOut      []string               `json:"optedOut,omitempty"` // entry points the customer opted out of (SMS)
	Conversations []CustomerConversation `json:"conversations,omitempty"`
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
	PreviousConversation string    `json:"previousConversation,omitempty"`
	PreviousMessages     []Message `json:"previousMessages,omitempty"`
	OptedOut             bool      `json:"optedOut,omitempty"`
}

// OptOutRequest records an SMS opt-out or opt-in for one entry point.
type OptOutRequest struct {
	EntryPoint string `json:"entryPoint"`
	OptedOut   bool   `json:"optedOut"`
}

// CustomerClosedRequest records a closed conversation's last messages.
type CustomerClosedRequest struct {
	Conversation string    `json:"conversation"`
	ClosedAt     time.Time `json:"closedAt"`
	LastMessages []Message `json:"lastMessages"`
}
