package directory

import (
	"slices"
	"strings"

	"outbound/internal/address"
	"outbound/internal/model"
)

// Lists are short (tens of entries), so lookups scan them instead of keeping
// indexes that would also have to survive JSON round trips through Temporal.

// Agent returns the agent with the id.
func (d *Directory) Agent(id string) (Agent, bool) {
	return find(d.Agents, func(a Agent) bool { return a.ID == id })
}

// Profile returns the profile with the id.
func (d *Directory) Profile(id string) (Profile, bool) {
	return find(d.Profiles, func(p Profile) bool { return p.ID == id })
}

// EntryPoint returns the entry point with the id.
func (d *Directory) EntryPoint(id string) (EntryPoint, bool) {
	return find(d.EntryPoints, func(e EntryPoint) bool { return e.ID == id })
}

// Queue returns the queue with the id.
func (d *Directory) Queue(id string) (Queue, bool) {
	return find(d.Queues, func(q Queue) bool { return q.ID == id })
}

// Template returns the template with the id.
func (d *Directory) Template(id string) (Template, bool) {
	return find(d.Templates, func(t Template) bool { return t.ID == id })
}

// Flow returns the flow with the id, triggerable or not (see Flow.Triggerable).
func (d *Directory) Flow(id string) (Flow, bool) {
	return find(d.Flows, func(f Flow) bool { return f.ID == id })
}

// QueuesOf returns the queues the agent serves, in directory order.
func (d *Directory) QueuesOf(agentID string) []Queue {
	var qs []Queue
	for _, q := range d.Queues {
		if slices.Contains(q.Agents, agentID) {
			qs = append(qs, q)
		}
	}
	return qs
}

// EntryPointByAddress returns the entry point of the channel that receives
// at the address, e.g. to thread a customer reply sent to it. The address may
// be written in any form a provider or a mail server sends ("Acme
// <Support@ACME.example>"; an SMS's To as E.164 or a short code). An
// alphanumeric sender ID receives nothing.
func (d *Directory) EntryPointByAddress(ch model.Channel, addr string) (EntryPoint, bool) {
	var normalized string
	var err error
	if ch == model.SMS {
		var ok bool
		if normalized, ok = address.SMSDestination(addr); !ok {
			return EntryPoint{}, false
		}
	} else if normalized, err = address.Normalize(ch, addr); err != nil {
		return EntryPoint{}, false
	}
	return find(d.EntryPoints, func(e EntryPoint) bool { return e.Channel == ch && e.Address == normalized })
}

func find[T any](items []T, match func(T) bool) (T, bool) {
	for _, it := range items {
		if match(it) {
			return it, true
		}
	}
	var zero T
	return zero, false
}

// AgentByLogin finds the agent who signs in with login (an email address,
// matched without regard to case).
func (d *Directory) AgentByLogin(login string) (Agent, bool) {
	return find(d.Agents, func(a Agent) bool { return a.Login != "" && strings.EqualFold(a.Login, login) })
}
