package model

import (
	"time"
	"unicode/utf8"
)

// Message directions.
const (
	Outbound = "outbound"
	Inbound  = "inbound"
)

// Message statuses: an outbound message moves forward only, queued → sent →
// delivered or failed; an inbound one is received. A sent SMS whose provider
// has still not confirmed it when asked (its callbacks lost, or a carrier
// that reports nothing) is unconfirmed, until a later status comes.
const (
	MessageQueued      = "queued"
	MessageSent        = "sent"
	MessageUnconfirmed = "unconfirmed"
	MessageDelivered   = "delivered"
	MessageFailed      = "failed"
	MessageReceived    = "received"
)

// StatusRank orders outbound statuses: a message takes a status only if it
// ranks higher, so a late or repeated callback never moves it back (a "sent"
// after "delivered", or the delivery's own answer after the callback).
func StatusRank(status string) int {
	switch status {
	case MessageSent:
		return 1
	case MessageUnconfirmed:
		return 2
	case MessageDelivered, MessageFailed:
		return 3
	}
	return 0
}

// Advance moves the message to status if that ranks higher (StatusRank) and
// reports whether it moved; the error text is kept with "failed" only.
func (m *Message) Advance(status, errText string) bool {
	if StatusRank(status) <= StatusRank(m.Status) {
		return false
	}
	m.Status, m.Error = status, ""
	if status == MessageFailed {
		m.Error = errText
	}
	return true
}

// Message is one line of the transcript.
type Message struct {
	ID         string `json:"id"`
	Direction  string `json:"direction"`
	Agent      string `json:"agent,omitempty"`
	Text       string `json:"text"`
	HTML       string `json:"html,omitempty"`
	Subject    string `json:"subject,omitempty"`
	Template   string `json:"template,omitempty"`
	Status     string `json:"status"`
	Error      string `json:"error,omitempty"`
	ProviderID string `json:"providerId,omitempty"`
	// Key names an agent's message to its provider (SMS idempotency token,
	// email Message-ID) and in status callbacks: derived from the request
	// that asked for it and its content, never from its place (DeliveryKey).
	Key  string `json:"key,omitempty"`
	Auto bool   `json:"auto,omitempty"` // an automatic reply, not the customer writing
	// Unauthenticated: the email's sender failed authentication; its From
	// may not be the customer.
	Unauthenticated bool    `json:"unauthenticated,omitempty"`
	Body            string  `json:"body,omitempty"`  // the archive key of the whole body when Text is a preview
	Media           []Media `json:"media,omitempty"` // an MMS's attachments, by reference
	Segments        int     `json:"segments,omitempty"`
	// Checks counts the times the provider was asked for the status of a
	// sent SMS whose callbacks had not come.
	Checks int       `json:"checks,omitempty"`
	At     time.Time `json:"at"`
}

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
	// Auto marks an automatic reply (an out-of-office, RFC 3834): it joins
	// an open conversation as such and never opens one.
	Auto bool `json:"auto,omitempty"`
	// Unauthenticated marks an email whose sender failed authentication
	// (internal/mailin): it never joins an open conversation by its From.
	Unauthenticated bool `json:"unauthenticated,omitempty"`
	// Body is the archive key of the whole message when Text is a preview
	// (a message over MaxBodyBytes).
	Body string `json:"body,omitempty"`
	// Media are the pictures or files of an MMS, by reference: the
	// provider keeps them.
	Media []Media `json:"media,omitempty"`
}

// Media is one attachment a provider holds for a customer's message.
type Media struct {
	URL         string `json:"url"`
	ContentType string `json:"contentType,omitempty"`
}

// A message's text and HTML together are kept in a workflow's state up to
// MaxBodyBytes: a workflow's state, its result and every payload it sends
// must stay under Temporal's 2 MiB limit whatever customers send. A longer
// customer message is stored whole in the transcript archive and the
// transcript keeps its first PreviewBytes of text and the archive key (Body);
// a longer agent message is refused.
const (
	MaxBodyBytes = 64 << 10
	PreviewBytes = 4 << 10
)

// MessageBody is the whole text and HTML of a message kept in the archive.
type MessageBody struct {
	Text string `json:"text"`
	HTML string `json:"html,omitempty"`
}

// Preview is the start of text, at most n bytes, cut at a character and
// marked when cut.
func Preview(text string, n int) string {
	if len(text) <= n {
		return text
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}
