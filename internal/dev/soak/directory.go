// Package soak drives conversations through a running cluster while faults
// are injected, and checks afterwards that nothing acknowledged was lost,
// duplicated or left stuck. The cluster's fault tests and `go run
// ./deploy/soak` use it.
package soak

import (
	"fmt"
	"strings"
)

// Tenant is the directory's tenant.
const Tenant = "soak"

// The load's size: Conversations at once, in pairs of Agents, each with
// Rounds messages each way.
const (
	Conversations = 50
	Agents        = 2 * Conversations
	Rounds        = 6
)

// Entry points of the directory.
const (
	smsEntryPoint   = "ep-sms"
	smsAddress      = "+14155550100"
	emailEntryPoint = "ep-email"
)

// Directory is the tenant YAML the cluster's workers serve for the load:
// agents in pairs (one starts, transfers to the other), transfer offers long
// enough to be accepted across a 10 s database outage, and a short wrap-up so
// that every slot is free soon after the last close.
func Directory(agents int) []byte {
	var b strings.Builder
	b.WriteString(`tenant: soak
digitalChannels: true
pciEmail: false
inlineImagesExempt: false
transferOfferTimeout: 5m
wrapUpTimeout: 5s
defaultWrapUpReason: no-reason
wrapUpReasons: [resolved, no-reason]
entryPoints:
  - {id: ep-sms, channel: sms, address: "+14155550100", queue: support}
  - {id: ep-email, channel: email, address: support@soak.example, queue: support}
profiles:
  - {id: blended, channels: {sms: auto, email: auto}, maxOutbound: 3}
`)
	var ids []string
	b.WriteString("agents:\n")
	for i := range agents {
		id := agentID(i)
		ids = append(ids, id)
		fmt.Fprintf(&b, "  - {id: %s, name: Agent %d, license: premium, profile: blended}\n", id, i+1)
	}
	fmt.Fprintf(&b, "queues:\n  - {id: support, name: Support, agents: [%s]}\n", strings.Join(ids, ", "))
	return []byte(b.String())
}

func agentID(i int) string { return fmt.Sprintf("agent%03d", i+1) }
