package workflows

import (
	"strings"

	"go.temporal.io/sdk/workflow"

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
	for _, k := range stopKeywords {
		if word == k {
			return true, true
		}
	}
	for _, k := range startKeywords {
		if word == k {
			return false, true
		}
	}
	return false, false
}

// applyOptOut blocks (or lifts) outbound SMS from this entry point to this
// number; the customer's record keeps it across conversations.
func (c *conversation) applyOptOut(ctx workflow.Context, text string) {
	if c.state.Channel != "sms" {
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
	req := model.OptOutRequest{EntryPoint: c.state.EntryPoint, OptedOut: out}
	customer := model.CustomerWorkflowID(c.state.Tenant, c.state.CustomerKey)
	if err := workflow.SignalExternalWorkflow(ctx, customer, "", model.OpCustomerOptOut, req).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("customer record not told of the opt-out", "error", err)
	}
}

func (c *conversation) refuseOptedOut() error {
	if c.state.Channel == "sms" && c.state.OptedOut {
		return codes.New(codes.OptedOut, "the customer replied STOP: no SMS from %s until they send START", c.state.EntryPoint)
	}
	return nil
}
