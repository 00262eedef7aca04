package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/model"
)

// detailMessages is how many of the last messages the Web UI shows.
const detailMessages = 3

// showDetails gives the Web UI a short markdown view of the conversation
// (a payload like any other, so the codec encrypts it).
func (c *conversation) showDetails(ctx workflow.Context) {
	s := c.state
	var b strings.Builder
	b.WriteString(fmt.Sprintf("**%s** · %s · **%s**", strings.ToUpper(string(s.Channel)), s.EntryPoint, s.Status))
	if s.Owner != "" {
		b.WriteString(fmt.Sprintf(" · owner **%s**", s.Owner))
	}
	if t := s.PendingTransfer; t != nil && t.OfferedTo != "" {
		b.WriteString(fmt.Sprintf("\n\nOffered to **%s** until %s", t.OfferedTo, t.OfferExpires.Format("15:04:05")))
	} else if s.Status == api.StatusQueued {
		b.WriteString(fmt.Sprintf("\n\nWaiting in queue **%s**", s.Queue))
	}
	if w := s.WrapUp; w != nil {
		b.WriteString(fmt.Sprintf("\n\nWrap-up: %s", w.Agent))
	}
	b.WriteString("\n\n")
	for _, m := range tail(s.Messages, detailMessages) {
		who, arrow := m.Agent, "→"
		if m.Direction == model.Inbound {
			who, arrow = "customer", "←"
		}
		b.WriteString(fmt.Sprintf("- %s %s %s: %s _(%s)_\n", m.ID, arrow, who, oneLine(m.Text, 80), m.Status))
	}
	workflow.SetCurrentDetails(ctx, b.String())
}

func oneLine(text string, limit int) string {
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > limit {
		return string(r[:limit]) + "…"
	}
	return text
}
