package model

import "time"

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

// AgentConfig is the directory's view of an agent, refreshed on every reservation.
type AgentConfig struct {
	Tenant      string `json:"tenant"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	MaxOutbound int    `json:"maxOutbound"`
}

// Slot is one unit of the agent's outbound capacity (rule 7).
type Slot struct {
	Conversation string        `json:"conversation"`
	Role         string        `json:"role"`
	Since        time.Time     `json:"since"`
	WrapUpDue    time.Time     `json:"wrapUpDue,omitempty"`
	WrapUp       *WrapUpPolicy `json:"wrapUpPolicy,omitempty"`
}

// WrapUpRecord is a finished wrap-up, kept for `show`.
type WrapUpRecord struct {
	Conversation string    `json:"conversation"`
	Reason       string    `json:"reason"`
	Auto         bool      `json:"auto"`
	At           time.Time `json:"at"`
}

// AgentState is the Agent workflow's state and query answer.
type AgentState struct {
	Config       AgentConfig    `json:"config"`
	State        string         `json:"state"`
	Since        time.Time      `json:"since"` // when the state last changed or a slot was freed
	Slots        []Slot         `json:"slots"`
	Transferring string         `json:"transferring,omitempty"` // rule 18
	Recent       []WrapUpRecord `json:"recentWrapUps,omitempty"`
}

// AgentInput is the Agent workflow input.
type AgentInput struct {
	Config AgentConfig `json:"config"`
	State  *AgentState `json:"state,omitempty"` // carried over continue-as-new
}

// ReserveRequest asks an agent for a slot.
type ReserveRequest struct {
	Conversation string      `json:"conversation"`
	Kind         string      `json:"kind"`
	Config       AgentConfig `json:"config"`
	// OnlyAvailable refuses RONA agents: queue routing offers to available agents only.
	OnlyAvailable bool `json:"onlyAvailable,omitempty"`
}

// TransferOutRequest marks the owner as transferring (rule 18) and starts its wrap-up.
type TransferOutRequest struct {
	Conversation string       `json:"conversation"`
	WrapUp       WrapUpPolicy `json:"wrapUp"`
}

// LeaveRequest starts the wrap-up of an agent leaving a conversation.
type LeaveRequest = TransferOutRequest

// SlotRequest names the conversation a slot belongs to.
type SlotRequest struct {
	Conversation string `json:"conversation"`
}

// AgentWrapUpRequest ends an agent's wrap-up with a reason.
type AgentWrapUpRequest struct {
	Conversation string `json:"conversation"`
	Reason       string `json:"reason"`
}

// SetStateRequest sets the agent's state.
type SetStateRequest struct {
	State  string      `json:"state"`
	Config AgentConfig `json:"config"`
}
