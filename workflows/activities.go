package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"outbound/activities"
)

// a names the activities for ExecuteActivity; the worker registers the real
// struct, so this nil pointer is never dereferenced.
var a *activities.Activities

// A start must answer within seconds (rule 8) or fail with
// TASK_CREATION_FAILED, and so must the entity updates of a transfer.
const (
	quickAttempt = 5 * time.Second
	quickBudget  = 20 * time.Second
)

func quickRetry() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 2 * time.Second}
}

// quick runs an activity with the quick budget, named in the Web UI by summary.
func quick(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    quickAttempt,
		ScheduleToCloseTimeout: quickBudget,
		Summary:                summary,
		RetryPolicy:            quickRetry(),
	})
}

// inTask runs a local activity with the quick budget: inside the workflow
// task, with no round trip through the server. Only for work that may run
// again when a task times out: the start checks, composing a message, and
// entity updates that are idempotent per conversation.
func inTask(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    quickAttempt,
		ScheduleToCloseTimeout: quickBudget,
		RetryPolicy:            quickRetry(),
	})
}

// firstAttempt is one try at the provider inside the workflow task; the
// caller retries a transient failure with deliveryOptions.
func firstAttempt(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}

// deliveryOptions retries a transient channel failure with backoff for up to
// ten minutes; a permanent one is non-retryable and fails the message at once.
func deliveryOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 10 * time.Minute,
		Summary:                summary,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// routeOptions retries routing a customer's message until it lands: it is
// never dropped for a server or worker that is down for a while. Only a
// refusal (a docs/rules.md §5 code) ends it. An attempt whose worker died is tried
// again only after StartToClose, so it is short: with a minute, replies
// under repeated worker kills reached their conversation minutes late.
// Retrying is safe: routing is idempotent per message.
func routeOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 20 * time.Second,
		Summary:             "route the customer's message",
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}
