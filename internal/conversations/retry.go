package conversations

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/grpc/codes"

	"outbound/internal/api"
	outcodes "outbound/internal/codes"
)

// A request that gets no answer is sent again with the same request id, which
// makes the retry harmless (internal/api.Request): for at most RetryBudget in
// all, each attempt waiting at most attemptLimit, backing off from
// firstBackoff to maxBackoff. Then its outcome is unknown.
const (
	RetryBudget  = 25 * time.Second
	attemptLimit = 10 * time.Second
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = 2 * time.Second
)

type requestKey struct{}

// WithRequestID gives the requests made with ctx an id of the caller's: the
// starter's --request-id, the desktop's id of a composed message. The same id
// again acts once and gets the first answer. Without one, each call has its
// own (its retries share it).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, id)
}

func requestID(ctx context.Context) string {
	if id, _ := ctx.Value(requestKey{}).(string); id != "" {
		return id
	}
	return uuid.NewString()
}

func request(ctx context.Context) api.Request { return api.Request{RequestID: requestID(ctx)} }

// retry runs one request until it has an answer: a transient failure (the
// server unreachable, an attempt that timed out, a worker restarting) is tried
// again with the same request id; once the budget or ctx is spent, the answer
// is OUTCOME_UNKNOWN, naming the id to send again.
func retry[T any](ctx context.Context, id string, attempt func(context.Context) (T, error)) (T, error) {
	deadline := time.Now().Add(RetryBudget)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	backoff := firstBackoff
	for tries := 1; ; tries++ {
		actx, cancel := context.WithTimeout(ctx, min(attemptLimit, time.Until(deadline)))
		res, err := attempt(actx)
		cancel()
		if err == nil || !transient(err) {
			return res, err
		}
		if ctx.Err() != nil || time.Until(deadline) < backoff {
			return res, outcodes.New(outcodes.OutcomeUnknown,
				"no answer after %d attempts (%v); the request may have taken effect: send it again with request id %s to learn its outcome",
				tries, err, id)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// transient reports a failure after which the request may or may not have
// reached the workflow, and a retry may get an answer.
func transient(err error) bool {
	if _, _, ok := outcodes.Of(err); ok {
		return false
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == api.StartUndecided {
		return true
	}
	switch serviceerror.ToStatus(err).Code() { // also a context's deadline or cancellation
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.ResourceExhausted, codes.Aborted:
		return true
	}
	return false
}
