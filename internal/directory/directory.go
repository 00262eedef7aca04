// Package directory is the tenant directory of docs/rules.md §4: the admin configuration
// (agents, profiles, queues, entry points, templates, flows, timers) read from
// one YAML file per tenant, validated as a whole, and consulted for the
// eligibility rules of an outbound start. The structs also carry JSON tags
// because they travel in Temporal payloads.
package directory

import (
	"time"

	"outbound/internal/model"
)

// Assignment is how a profile routes a channel's contacts to the agent.
type Assignment string

const (
	// Auto means contacts are automatically routed: outbound is allowed (rule 3).
	Auto Assignment = "auto"
	// Manual assignment makes outbound on that channel unavailable (rule 3).
	Manual Assignment = "manual"
)

// Directory is one tenant's configuration. Field names are the docs/rules.md §4 contract.
type Directory struct {
	Tenant               string        `yaml:"tenant" json:"tenant"`
	DigitalChannels      bool          `yaml:"digitalChannels" json:"digitalChannels"`
	PCIEmail             bool          `yaml:"pciEmail" json:"pciEmail"`
	InlineImagesExempt   bool          `yaml:"inlineImagesExempt" json:"inlineImagesExempt"`
	TransferOfferTimeout time.Duration `yaml:"transferOfferTimeout" json:"transferOfferTimeout"`
	WrapUpTimeout        time.Duration `yaml:"wrapUpTimeout" json:"wrapUpTimeout"`
	// SlotCheckInterval is how often an agent holding conversations checks
	// they still run (0: every minute); see workflows/slots.go.
	SlotCheckInterval time.Duration `yaml:"slotCheckInterval,omitempty" json:"slotCheckInterval,omitempty"`
	// DeliveryCheckAfter is how long a sent SMS waits for its provider's
	// final status before the provider is asked (0: ten minutes).
	DeliveryCheckAfter time.Duration `yaml:"deliveryCheckAfter,omitempty" json:"deliveryCheckAfter,omitempty"`
	// ReofferAfter is how long a queued conversation that every available
	// member has had (transferred away, declined, let drop) waits before it
	// is offered to them again (0: one minute).
	ReofferAfter        time.Duration `yaml:"reofferAfter,omitempty" json:"reofferAfter,omitempty"`
	DefaultWrapUpReason string        `yaml:"defaultWrapUpReason" json:"defaultWrapUpReason"`
	WrapUpReasons       []string      `yaml:"wrapUpReasons" json:"wrapUpReasons"`
	EntryPoints         []EntryPoint  `yaml:"entryPoints" json:"entryPoints"`
	Queues              []Queue       `yaml:"queues" json:"queues"`
	Profiles            []Profile     `yaml:"profiles" json:"profiles"`
	Agents              []Agent       `yaml:"agents" json:"agents"`
	Templates           []Template    `yaml:"templates" json:"templates"`
	Flows               []Flow        `yaml:"flows" json:"flows"`
}

// DefaultDeliveryCheckAfter is DeliveryCheckAfter when left out: Twilio
// reports most final statuses within minutes.
const DefaultDeliveryCheckAfter = 10 * time.Minute

// DefaultReofferAfter is ReofferAfter when left out: time for the agent who
// passed a conversation on to be gone from the head of the line, and never
// long for the customer.
const DefaultReofferAfter = time.Minute

// EntryPoint is a tenant address conversations are sent from (the "From"), and
// the queue that receives its conversations when no agent takes them.
type EntryPoint struct {
	ID      string        `yaml:"id" json:"id"`
	Channel model.Channel `yaml:"channel" json:"channel"`
	// Address is stored normalized once the directory is parsed, so it
	// compares equal to normalized input: for email the address with its
	// domain lower-cased; for SMS an E.164 number of any kind, a short code's
	// digits or an alphanumeric sender ID (which cannot receive replies).
	Address string `yaml:"address" json:"address"`
	// Country is a short code's country (ISO 3166 alpha-2, "US"); only short
	// codes have one.
	Country string `yaml:"country,omitempty" json:"country,omitempty"`
	Queue   string `yaml:"queue" json:"queue"`
}

// Queue is a transfer target served by a set of agents.
type Queue struct {
	ID     string   `yaml:"id" json:"id"`
	Name   string   `yaml:"name" json:"name"`
	Agents []string `yaml:"agents" json:"agents"`
}

// Profile is a multimedia profile: which channels an agent handles, how they
// are assigned, and how many outbound tasks it may hold at once (rule 7).
type Profile struct {
	ID          string                       `yaml:"id" json:"id"`
	Channels    map[model.Channel]Assignment `yaml:"channels" json:"channels"`
	MaxOutbound int                          `yaml:"maxOutbound" json:"maxOutbound"`
}

// Agent is a contact-center agent.
type Agent struct {
	ID      string `yaml:"id" json:"id"`
	Name    string `yaml:"name" json:"name"`
	License string `yaml:"license" json:"license"`
	Profile string `yaml:"profile" json:"profile"`
	// Login is who signs in to the desktop as this agent: the verified email
	// of the ID token the tenant's OpenID Connect provider issues (matched
	// without regard to case). Optional: an agent without one cannot sign
	// in through OpenID Connect.
	Login string `yaml:"login,omitempty" json:"login,omitempty"`
}

// Template is a message an agent can send instead of typing (rule 9). Bodies
// use Go template syntax: text/template for SMS, html/template for email.
type Template struct {
	ID      string        `yaml:"id" json:"id"`
	Channel model.Channel `yaml:"channel" json:"channel"`
	// Subject is for email templates only; empty means the agent writes one.
	Subject string `yaml:"subject,omitempty" json:"subject,omitempty"`
	Body    string `yaml:"body" json:"body"`
}
