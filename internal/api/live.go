package api

import "go.temporal.io/sdk/temporal"

// AttrChangedAt is when what a desk shows of a workflow (a conversation, an
// agent, a queue) last changed. The workflows move it in the task that made
// the change; a desktop process learns what changed with one visibility
// query for all of them (docs/architecture.md, "Live desk").
var AttrChangedAt = temporal.NewSearchAttributeKeyTime("ChangedAt")
