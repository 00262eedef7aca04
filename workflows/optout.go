package workflows

import (
	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
	"outbound/internal/sms"
)

// applyOptOut blocks (or lifts) outbound SMS from this entry point to this
// number; the customer's record keeps it across conversations.
func (c *conversation) applyOptOut(ctx workflow.Context, text string) {
	if c.state.Channel != model.SMS {
		return
	}
	out, ok := sms.OptOutKeyword(text)
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
