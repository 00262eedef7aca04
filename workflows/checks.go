package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"outbound/internal/model"
)

// Delivery checks. An SMS provider tells a message's final status by
// callback; a callback lost for good (the provider's retries all failed, or
// the process that was to post them died) would leave the message "sent" for
// good. So a sent SMS still without a final status DeliveryCheckAfter after
// it was sent is asked about at its provider, by its sid. One the provider
// cannot confirm becomes "unconfirmed", which the agent sees, and is asked
// about again, up to deliveryChecks times in all, DeliveryCheckAfter apart.
// A workflow has one timer for all its messages, and only while one waits:
// a conversation whose callbacks come costs one timer started, never fired.

// deliveryChecks is how many times a message is asked about at most.
const deliveryChecks = 3

// awaitingCheck is a message a check may still confirm, by its sid.
type awaitingCheck struct {
	sid string
	due time.Time // when it is next asked about
}

// checkedMessages is what a workflow shows its delivery checks.
type checkedMessages interface {
	awaitingChecks() []awaitingCheck
	// checked records what the provider said of message sid: a final
	// status, or none yet (Status "").
	checked(ctx workflow.Context, sid string, said model.ProviderStatus)
}

// mayConfirm reports whether m is a sent SMS that a check may still confirm.
func mayConfirm(m model.Message) bool {
	return m.Direction == model.Outbound && m.ProviderID != "" && m.Checks < deliveryChecks &&
		(m.Status == model.MessageSent || m.Status == model.MessageUnconfirmed)
}

// nextCheck is when m is next asked about.
func nextCheck(m model.Message, after time.Duration) awaitingCheck {
	return awaitingCheck{sid: m.ProviderID, due: m.At.Add(after * time.Duration(m.Checks+1))}
}

// startDeliveryChecks runs the checks of msgs in the background while any
// message awaits one; running (the workflow's, not carried over) keeps it to
// one loop per run. A check under way is work the run finishes first.
func startDeliveryChecks(ctx workflow.Context, in *inbox, running *bool, msgs checkedMessages) {
	if *running || len(msgs.awaitingChecks()) == 0 {
		return
	}
	*running = true
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { *running = false }()
		for {
			awaiting := msgs.awaitingChecks()
			if len(awaiting) == 0 {
				return
			}
			next := awaiting[0].due
			for _, m := range awaiting[1:] {
				if m.due.Before(next) {
					next = m.due
				}
			}
			wait := max(next.Sub(workflow.Now(ctx)), time.Second)
			timer := workflow.NewTimerWithOptions(ctx, wait, workflow.TimerOptions{Summary: "delivery check"})
			if timer.Get(ctx, nil) != nil {
				return
			}
			in.do(func() { checkDue(ctx, msgs) })
		}
	})
}

// checkDue asks the provider about the messages whose check is due.
func checkDue(ctx workflow.Context, msgs checkedMessages) {
	now := workflow.Now(ctx)
	var sids []string
	for _, m := range msgs.awaitingChecks() {
		if !m.due.After(now) {
			sids = append(sids, m.sid)
		}
	}
	if len(sids) == 0 {
		return
	}
	var said []model.ProviderStatus
	opts := workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		Summary:             "ask the SMS provider about messages it has not confirmed",
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 5},
	}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), a.CheckSMS, sids).Get(ctx, &said); err != nil {
		workflow.GetLogger(ctx).Warn("the SMS provider could not be asked; the messages count as unconfirmed", "error", err)
	}
	bySID := map[string]model.ProviderStatus{}
	for _, s := range said {
		bySID[s.ProviderID] = s
	}
	for _, sid := range sids {
		msgs.checked(ctx, sid, bySID[sid])
	}
}

// confirm records a check's answer on m and reports whether its status moved.
func confirm(m *model.Message, said model.ProviderStatus) bool {
	m.Checks++
	if said.Status == "" {
		return m.Advance(model.MessageUnconfirmed, "")
	}
	return m.Advance(said.Status, said.Error)
}
