package activities

import (
	"context"
	"errors"

	"outbound/internal/api"
	"outbound/internal/codes"
)

// InboundRouter puts a customer message into its conversation
// (*conversations.Client in production).
type InboundRouter interface {
	Route(ctx context.Context, m api.InboundRequest) (api.Routed, error)
}

// RouteInbound routes one customer message for the customer's record and
// answers where it went. A refusal is final; anything else, an unknown
// outcome included, is tried again with the same request id.
func (a *Activities) RouteInbound(ctx context.Context, req api.InboundRequest) (api.Routed, error) {
	routed, err := a.Inbound.Route(ctx, req)
	if codes.Is(err, codes.OutcomeUnknown) {
		return routed, errors.New(err.Error())
	}
	return routed, refusal(err)
}
