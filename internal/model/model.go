// Package model is the data that travels between the service's parts: the
// channels, a transcript's messages, what an agent composes, the tenant
// policy a conversation captures, and the inputs and outputs of the
// activities. It has no behaviour, so every package can import it; each
// entity workflow's own contract (its operations, requests and state) is in
// package api.
package model

// Channel is a digital channel an outbound conversation runs on.
type Channel string

const (
	SMS   Channel = "sms"
	Email Channel = "email"
)

// Valid reports whether c is one of the supported channels.
func (c Channel) Valid() bool { return c == SMS || c == Email }
