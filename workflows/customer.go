package workflows

import (
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/codes"
	"outbound/internal/model"
)

// keptConversations bounds the record: enough for context and audit, small
// enough to carry over continue-as-new.
const keptConversations = 20

// Customer is a customer's record: the email subjects already used with them
// (rule 11) and their recent conversations, so a new one inherits the last
// one's history (rule 16). The workflow ID holds a keyed hash, not the address.
func Customer(ctx workflow.Context, in model.CustomerState) (model.CustomerState, error) {
	cu := &customer{state: in}
	query(ctx, func() model.CustomerState { return cu.state })
	register(ctx, &cu.h, model.OpCustomerOpen, cu.validateOpen, cu.open)
	register(ctx, &cu.h, model.OpCustomerClosed, always[model.CustomerClosedRequest], cu.closed)
	register(ctx, &cu.h, model.OpCustomerOptOut, always[model.OptOutRequest], cu.optOut)
	return cu.state, runEntity(ctx, &cu.h, func() error {
		return workflow.NewContinueAsNewError(ctx, Customer, cu.state)
	})
}

type customer struct {
	state model.CustomerState
	h     handlers
}

func (cu *customer) validateOpen(req model.CustomerOpenRequest) error {
	if cu.conversation(req.Conversation) >= 0 {
		return nil
	}
	if req.RefuseOptedOut && slices.Contains(cu.state.OptedOut, req.EntryPoint) {
		return codes.New(codes.OptedOut, "the customer opted out of SMS from %s (replied STOP)", req.EntryPoint)
	}
	if req.Subject != "" && slices.Contains(cu.state.Subjects, subjectKey(req.Subject)) {
		return codes.New(codes.SubjectReused, "subject %q was already used with this customer; choose a new one", req.Subject)
	}
	return nil
}

// open claims the subject and returns the last closed conversation's history.
func (cu *customer) open(ctx workflow.Context, req model.CustomerOpenRequest) (model.CustomerContext, error) {
	out := model.CustomerContext{OptedOut: slices.Contains(cu.state.OptedOut, req.EntryPoint)}
	for i := len(cu.state.Conversations) - 1; i >= 0; i-- {
		if c := cu.state.Conversations[i]; c.ID != req.Conversation && !c.ClosedAt.IsZero() {
			out.PreviousConversation, out.PreviousMessages = c.ID, c.LastMessages
			break
		}
	}
	if cu.conversation(req.Conversation) >= 0 {
		return out, nil // a retried open
	}
	if req.Subject != "" {
		cu.state.Subjects = append(cu.state.Subjects, subjectKey(req.Subject))
	}
	cu.state.Conversations = append(cu.state.Conversations, model.CustomerConversation{
		ID: req.Conversation, EntryPoint: req.EntryPoint, Subject: req.Subject, StartedAt: req.At,
	})
	if n := len(cu.state.Conversations); n > keptConversations {
		cu.state.Conversations = slices.Clone(cu.state.Conversations[n-keptConversations:])
	}
	return out, nil
}

func (cu *customer) closed(ctx workflow.Context, req model.CustomerClosedRequest) (int, error) {
	if i := cu.conversation(req.Conversation); i >= 0 {
		c := &cu.state.Conversations[i]
		c.ClosedAt, c.LastMessages = req.ClosedAt, req.LastMessages
	}
	return len(cu.state.Conversations), nil
}

// optOut keeps an SMS opt-out (or lifts it) for one entry point.
func (cu *customer) optOut(ctx workflow.Context, req model.OptOutRequest) (int, error) {
	i := slices.Index(cu.state.OptedOut, req.EntryPoint)
	switch {
	case req.OptedOut && i < 0:
		cu.state.OptedOut = append(cu.state.OptedOut, req.EntryPoint)
	case !req.OptedOut && i >= 0:
		cu.state.OptedOut = slices.Delete(cu.state.OptedOut, i, i+1)
	}
	return len(cu.state.OptedOut), nil
}

func (cu *customer) conversation(id string) int {
	return slices.IndexFunc(cu.state.Conversations, func(c model.CustomerConversation) bool { return c.ID == id })
}

// subjectKey compares subjects as a person would: case, spacing and reply
// prefixes do not make a subject new.
func subjectKey(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	for {
		trimmed := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "re:"), "fwd:"))
		if trimmed == s {
			return s
		}
		s = trimmed
	}
}

// runEntity keeps an entity workflow alive until its history should be cut,
// then lets every handler finish and continues as new.
func runEntity(ctx workflow.Context, h *handlers, continueAsNew func() error) error {
	if err := workflow.Await(ctx, func() bool { return h.idle(ctx) && shouldContinueAsNew(ctx) }); err != nil {
		return err
	}
	if err := h.settle(ctx); err != nil {
		return err
	}
	return continueAsNew()
}
