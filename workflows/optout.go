package workflows

import (
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// SMS opt-out keywords (SPEC §3): the whole message, any case.
var (
	stopKeywords  = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
	startKeywords = []string{"START", "UNSTOP"}
)

// optOutKeyword reports whether an SMS is an opt-out (out=true) or opt-in.
func optOutKeyword(text string) (out, isKeyword bool) {
	word := strings.ToUpper(strings.TrimSpace(text))
	switch {
	case slices.Contains(stopKeywords, word):
		return true, true
	case slices.Contains(startKeywords, word):
		return false, true
	}
	return false, false
}

// applyOptOut blocks (or lifts) outbound SMS from this entry point to this
// number; the customer's record keeps it across conversations.
func (c *conversation) applyOptOut(ctx workflow.Context, text string) {
	if c.state.Channel != model.SMS {
		return
	}
	out, ok := optOutKeyword(text)
	if !ok || out == c.state.OptedOut {
		return
	}
	c.state.OptedOut = out
	kind := "opted-in"
	if out {
		kind = "opted-out"
	}
	c.event(ctx, kind, "", "outbound SMS from "+c.state.EntryPoint)
	req := api.OptOutRequest{EntryPoint: c.state.EntryPoint, OptedOut: out}
	customer := api.CustomerWorkflowID(c.state.Tenant, c.state.CustomerKey)
	logFailure(ctx, "customer record not told of the opt-out", api.CustomerOptOut.External(ctx, customer, req))
}

func (c *conversation) refuseOptedOut() error {
	if c.state.Channel == model.SMS && c.state.OptedOut {
		return codes.New(codes.OptedOut, "the customer replied STOP: no SMS from %s until they send START", c.state.EntryPoint)
	}
	return nil
}
