package workflows

import (
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// keptConversations bounds the record: enough for context and audit, small
// enough to carry over continue-as-new.
const keptConversations = 20

// Customer is a customer's record: the email subjects already used with them
// (rule 11), their SMS opt-outs and their recent conversations, so a new one
// inherits the last one's history (rule 16). The workflow ID holds a keyed
// hash, not the address.
func Customer(ctx workflow.Context, in api.CustomerState) (api.CustomerState, error) {
	cu := &customer{state: in}
	api.CustomerQuery.Handle(ctx, func() api.CustomerState { return cu.state })
	api.CustomerOpen.Handle(ctx, cu.open, cu.checkSubject)
	onSignal(ctx, &cu.inbox, api.CustomerClosed, cu.closed)
	onSignal(ctx, &cu.inbox, api.CustomerOptOut, cu.optOut)
	onSignal(ctx, &cu.inbox, api.CustomerForget, cu.forget)
	onSignal(ctx, &cu.inbox, api.CustomerLateStatus, cu.lateStatus)
	onSignal(ctx, &cu.inbox, api.CustomerInbound, func(ctx workflow.Context, reqs []api.InboundRequest) {
		for _, req := range reqs {
			cu.inbound(ctx, req)
		}
	})
	onSignal(ctx, &cu.inbox, api.CustomerInboundOne, cu.inbound)
	cu.inbox.listen(ctx)
	cu.confirmDeliveries(ctx)
	return cu.state, runEntity(ctx, &cu.inbox, func() error {
		return workflow.NewContinueAsNewError(ctx, Customer, cu.state)
	})
}

type customer struct {
	state    api.CustomerState
	inbox    inbox
	checking bool // this run's delivery checks are running (checks.go)
}

// checkSubject is open's validator: only opens change the subjects (rule 11).
// A retried open of the same conversation is not a reuse.
func (cu *customer) checkSubject(req api.CustomerOpenRequest) error {
	if cu.conversation(req.Conversation) >= 0 || req.Subject == "" {
		return nil
	}
	if slices.Contains(cu.state.Subjects, subjectKey(req.Subject)) {
		return codes.New(codes.SubjectReused, "subject %q was already used with this customer; choose a new one", req.Subject)
	}
	return nil
}

// open claims the subject and returns the last closed conversation's history.
// The opt-out comes by signal, so it is checked here, after the signals that
// arrived before this open.
func (cu *customer) open(ctx workflow.Context, req api.CustomerOpenRequest) (api.CustomerContext, error) {
	if err := cu.inbox.afterSignals(ctx); err != nil {
		return api.CustomerContext{}, err
	}
	optedOut := slices.Contains(cu.state.OptedOut, req.EntryPoint)
	out := api.CustomerContext{OptedOut: optedOut}
	for i := len(cu.state.Conversations) - 1; i >= 0; i-- {
		if c := cu.state.Conversations[i]; c.ID != req.Conversation && !c.ClosedAt.IsZero() {
			out.PreviousConversation, out.PreviousMessages = c.ID, c.LastMessages
			break
		}
	}
	if cu.conversation(req.Conversation) >= 0 {
		return out, nil // a retried open
	}
	if slices.Contains(cu.state.Forgotten, req.Conversation) {
		return api.CustomerContext{}, codes.New(codes.TaskCreationFailed, "the conversation's start was given up")
	}
	if req.RefuseOptedOut && optedOut {
		return api.CustomerContext{}, codes.New(codes.OptedOut, "the customer opted out of SMS from %s (replied STOP)", req.EntryPoint)
	}
	if err := cu.checkSubject(req); err != nil {
		return api.CustomerContext{}, err
	}
	if req.Subject != "" {
		cu.state.Subjects = append(cu.state.Subjects, subjectKey(req.Subject))
	}
	cu.state.Conversations = append(cu.state.Conversations, api.CustomerConversation{
		ID: req.Conversation, EntryPoint: req.EntryPoint, Subject: req.Subject, StartedAt: req.At,
	})
	if n := len(cu.state.Conversations); n > keptConversations {
		cu.state.Conversations = slices.Clone(cu.state.Conversations[n-keptConversations:])
	}
	return out, nil
}

func (cu *customer) closed(ctx workflow.Context, req api.CustomerClosedRequest) {
	if i := cu.conversation(req.Conversation); i >= 0 {
		c := &cu.state.Conversations[i]
		c.ClosedAt, c.LastMessages, c.DeliveryCheckAfter = req.ClosedAt, req.LastMessages, req.DeliveryCheckAfter
		cu.confirmDeliveries(ctx)
	}
}

// confirmDeliveries goes on with the delivery checks (checks.go) of the
// closed conversations' SMS messages that still wait for a final status.
func (cu *customer) confirmDeliveries(ctx workflow.Context) {
	startDeliveryChecks(ctx, &cu.inbox, &cu.checking, cu)
}

func (cu *customer) awaitingChecks() []awaitingCheck {
	var out []awaitingCheck
	for _, c := range cu.state.Conversations {
		for _, m := range c.LastMessages {
			if c.DeliveryCheckAfter > 0 && mayConfirm(m) {
				out = append(out, nextCheck(m, c.DeliveryCheckAfter))
			}
		}
	}
	return out
}

func (cu *customer) checked(ctx workflow.Context, sid string, said model.ProviderStatus) {
	for i := range cu.state.Conversations {
		c := &cu.state.Conversations[i]
		j := slices.IndexFunc(c.LastMessages, func(m model.Message) bool { return m.ProviderID == sid && mayConfirm(m) })
		if j >= 0 && confirm(&c.LastMessages[j], said) {
			m := c.LastMessages[j]
			cu.keepLateStatus(ctx, c, api.LateStatus{MessageID: m.ID, Status: m.Status, Error: m.Error})
		}
	}
}

// forget undoes the open of a conversation that never started (found: a
// start refused during a database outage kept its subject, and the agent's
// new start was refused SUBJECT_REUSED). One that has closed is history.
func (cu *customer) forget(ctx workflow.Context, req api.ForgetRequest) {
	if cu.state.Forgotten = append(cu.state.Forgotten, req.Conversation); len(cu.state.Forgotten) > keptConversations {
		cu.state.Forgotten = slices.Clone(cu.state.Forgotten[1:])
	}
	i := cu.conversation(req.Conversation)
	if i < 0 || !cu.state.Conversations[i].ClosedAt.IsZero() {
		return
	}
	if subject := cu.state.Conversations[i].Subject; subject != "" {
		cu.state.Subjects = slices.DeleteFunc(cu.state.Subjects, func(s string) bool { return s == subjectKey(subject) })
	}
	cu.state.Conversations = slices.Delete(cu.state.Conversations, i, i+1)
}

// keptLateStatuses bounds the late statuses kept per conversation.
const keptLateStatuses = 10

// lateStatus records a delivery status that came after the conversation
// ended, so "was my last message delivered?" has an answer: on the message
// among the last ones (forward only, as in the conversation) and in the list
// of late statuses.
func (cu *customer) lateStatus(ctx workflow.Context, req api.DeliveryStatusRequest) {
	i := cu.conversation(req.Conversation)
	if i < 0 {
		workflow.GetLogger(ctx).Warn("late delivery status for a conversation the record no longer keeps", "message", req.MessageID)
		return
	}
	c := &cu.state.Conversations[i]
	errText := ""
	if req.Status == model.MessageFailed {
		errText = req.Error
	}
	late := api.LateStatus{MessageID: req.MessageID, Status: req.Status, Error: errText}
	// A callback names the message by its key (deliveryKey).
	j := slices.IndexFunc(c.LastMessages, func(m model.Message) bool {
		return (m.ID == req.MessageID || m.Key == req.MessageID) && m.Direction == model.Outbound
	})
	if j >= 0 {
		c.LastMessages[j].Advance(req.Status, errText)
		late.MessageID = c.LastMessages[j].ID
	}
	cu.keepLateStatus(ctx, c, late)
}

// keepLateStatus lists a status that came after the conversation ended.
func (cu *customer) keepLateStatus(ctx workflow.Context, c *api.CustomerConversation, late api.LateStatus) {
	late.At = workflow.Now(ctx)
	c.LateStatuses = append(c.LateStatuses, late)
	if n := len(c.LateStatuses); n > keptLateStatuses {
		c.LateStatuses = slices.Clone(c.LateStatuses[n-keptLateStatuses:])
	}
}

// keptReceived bounds the provider ids a record remembers within
// api.ProviderRetryWindow.
const keptReceived = 1000

// inbound routes a customer's message into its conversation, unless the
// provider sent it before. Signals of one name are taken one at a time, so
// the messages land in the order they arrived.
func (cu *customer) inbound(ctx workflow.Context, req api.InboundRequest) {
	now := workflow.Now(ctx)
	if req.ProviderID != "" && slices.ContainsFunc(cu.state.Received, func(r api.Received) bool {
		return r.ProviderID == req.ProviderID && r.EntryPoint == req.EntryPoint && now.Sub(r.At) <= api.ProviderRetryWindow
	}) {
		workflow.GetLogger(ctx).Info("a provider's retry of a message already routed, dropped")
		return
	}
	r := api.Received{EntryPoint: req.EntryPoint, ProviderID: req.ProviderID}
	var routed api.Routed
	err := workflow.ExecuteActivity(routeOptions(ctx), a.RouteInbound, req).Get(ctx, &routed)
	r.Conversation, r.Held = routed.Conversation, routed.Held
	if routed.Held {
		cu.hold(ctx, req, routed, "")
	}
	if err != nil {
		code, _, _ := codes.Of(err)
		r.Refused = string(code)
		if !req.Auto { // an automatic reply with nothing open is dropped on purpose
			cu.hold(ctx, req, api.Routed{}, r.Refused)
		}
		// By its code only: a refusal's text may name the customer.
		workflow.GetLogger(ctx).Info("a customer message was not routed", "code", code)
	}
	if req.ProviderID == "" {
		return
	}
	now = workflow.Now(ctx)
	r.At = now
	kept := slices.DeleteFunc(cu.state.Received, func(r api.Received) bool { return now.Sub(r.At) > api.ProviderRetryWindow })
	cu.state.Received = append(kept, r)
	if n := len(cu.state.Received); n > keptReceived {
		cu.state.Received = slices.Clone(cu.state.Received[n-keptReceived:])
	}
}

// keptHeld bounds the held emails a record keeps.
const keptHeld = 20

// hold keeps a message no conversation took (its start, and the archive key
// of the whole when longer): an unauthenticated email that named the
// customer while a conversation was open (which was told,
// api.ConversationHeld), or one a conversation refused, with its code.
func (cu *customer) hold(ctx workflow.Context, req api.InboundRequest, routed api.Routed, refused string) {
	m := req.CustomerMessage
	m.Text, m.HTML = model.Preview(m.Text, model.PreviewBytes), ""
	if routed.Body != "" {
		m.Body = routed.Body
	}
	cu.state.Held = append(cu.state.Held, api.HeldMessage{
		EntryPoint: req.EntryPoint, Conversation: routed.Conversation, Refused: refused, At: workflow.Now(ctx), CustomerMessage: m,
	})
	if n := len(cu.state.Held); n > keptHeld {
		cu.state.Held = slices.Clone(cu.state.Held[n-keptHeld:])
	}
}

// optOut keeps an SMS opt-out (or lifts it) for one entry point.
func (cu *customer) optOut(ctx workflow.Context, req api.OptOutRequest) {
	i := slices.Index(cu.state.OptedOut, req.EntryPoint)
	switch {
	case req.OptedOut && i < 0:
		cu.state.OptedOut = append(cu.state.OptedOut, req.EntryPoint)
	case !req.OptedOut && i >= 0:
		cu.state.OptedOut = slices.Delete(cu.state.OptedOut, i, i+1)
	}
}

func (cu *customer) conversation(id string) int {
	return slices.IndexFunc(cu.state.Conversations, func(c api.CustomerConversation) bool { return c.ID == id })
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
