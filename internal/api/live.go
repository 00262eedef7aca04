package api

import (
	"time"

	"go.temporal.io/sdk/temporal"
)

// AttrChangedAt is when what a desk shows of a workflow (a conversation, an
// agent, a queue) last changed. The workflows move it in the task that made
// the change; a desktop process learns what changed with one visibility
// query for all of them (docs/architecture.md, "Live desk").
var AttrChangedAt = temporal.NewSearchAttributeKeyTime("ChangedAt")

// ConversationQuiet is how long a conversation must not have changed for
// its next change to be stamped; a desk follows a conversation that changed
// within twice that with a history long poll, which hears every change.
const ConversationQuiet = 10 * time.Second
