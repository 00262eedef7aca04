package model

// PreparedStart is what the start checks (rules 1–3, 5, the address) give back.
type PreparedStart struct {
	Customer     string `json:"customer"` // normalised address
	CustomerKey  string `json:"customerKey"`
	EntryAddress string `json:"entryAddress"`
	Policy       Policy `json:"policy"`
}

// ComposeRequest asks for an agent's message to be made ready to deliver:
// its template rendered, and for email its HTML sanitised with the inline
// images hosted and referenced by URL. The request is already validated.
type ComposeRequest struct {
	Tenant       string  `json:"tenant"`
	Conversation string  `json:"conversation"` // the conversation id: part of the images' keys
	Channel      Channel `json:"channel"`
	Compose      Compose `json:"compose"`
}

// Rendered is a message ready to deliver.
type Rendered struct {
	Text     string `json:"text"`
	HTML     string `json:"html,omitempty"`
	Subject  string `json:"subject,omitempty"`
	Template string `json:"template,omitempty"`
}

// Delivery is one outbound message for a channel activity. Key (the
// message's, see Message.Key) with the conversation names it to the provider.
type Delivery struct {
	Tenant       string `json:"tenant"`
	Conversation string `json:"conversation"`
	Key          string `json:"key"`
	From         string `json:"from"`
	To           string `json:"to"`
	Subject      string `json:"subject,omitempty"`
	Text         string `json:"text"`
	HTML         string `json:"html,omitempty"`
}

// IdempotencyKey is what the SMS provider deduplicates attempts by.
func (d Delivery) IdempotencyKey() string { return d.Conversation + "/" + d.Key }

// ProviderStatus is what the provider says of a message, asked by its id:
// Status is delivered or failed, or "" while it has no final status.
type ProviderStatus struct {
	ProviderID string `json:"providerId"`
	Status     string `json:"status,omitempty"`
	Error      string `json:"error,omitempty"`
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
