package model

// PreparedStart is what the start checks (rules 1–3, 5, address, template) give back.
type PreparedStart struct {
	Customer     string      `json:"customer"` // normalised address
	CustomerKey  string      `json:"customerKey"`
	EntryAddress string      `json:"entryAddress"`
	Agent        AgentConfig `json:"agent"`
	Policy       Policy      `json:"policy"`
	First        *Rendered   `json:"first,omitempty"`
}

// RenderRequest asks for an agent's message to be rendered for a channel.
type RenderRequest struct {
	Tenant  string  `json:"tenant"`
	Channel string  `json:"channel"`
	Compose Compose `json:"compose"`
}

// Rendered is a message ready to deliver.
type Rendered struct {
	Text     string `json:"text"`
	HTML     string `json:"html,omitempty"`
	Subject  string `json:"subject,omitempty"`
	Template string `json:"template,omitempty"`
}

// Delivery is one outbound message for a channel activity.
type Delivery struct {
	Tenant         string `json:"tenant"`
	Conversation   string `json:"conversation"`
	MessageID      string `json:"messageId"`
	From           string `json:"from"`
	To             string `json:"to"`
	Subject        string `json:"subject,omitempty"`
	Text           string `json:"text"`
	HTML           string `json:"html,omitempty"`
	IdempotencyKey string `json:"idempotencyKey"`
}

// Delivered is the provider's answer.
type Delivered struct {
	ProviderID string `json:"providerId"`
	Segments   int    `json:"segments,omitempty"`
}

// RankRequest asks for a queue's agents to offer a conversation to.
type RankRequest struct {
	Tenant  string   `json:"tenant"`
	Queue   string   `json:"queue"`
	Exclude []string `json:"exclude,omitempty"`
}

// OfferRequest reserves a slot on a transfer target.
type OfferRequest struct {
	Tenant        string `json:"tenant"`
	Agent         string `json:"agent"`
	Conversation  string `json:"conversation"`
	Kind          string `json:"kind"`            // ReserveOffer or ReservePickup
	Queue         string `json:"queue,omitempty"` // pickup: the agent must be in this queue
	OnlyAvailable bool   `json:"onlyAvailable,omitempty"`
}
