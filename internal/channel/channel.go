// Package channel names the digital channels of an outbound conversation. It is
// its own tiny package so that both the tenant directory (which validates entry
// point addresses) and the address package (which normalizes them) can use the
// type without importing each other; directory re-exports it as
// directory.Channel.
package channel

// Channel is a digital channel an outbound conversation runs on.
type Channel string

const (
	SMS   Channel = "sms"
	Email Channel = "email"
)

// Valid reports whether c is one of the supported channels.
func (c Channel) Valid() bool { return c == SMS || c == Email }
