package conversations

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"outbound/internal/codes"
)

// A transient failure is tried again with the same request id; a refusal is
// not; with no answer in time the outcome is unknown and names the id.
func TestRetry(t *testing.T) {
	tries := 0
	res, err := retry(context.Background(), "r1", func(context.Context) (string, error) {
		if tries++; tries < 3 {
			return "", serviceerror.NewUnavailable("connection refused")
		}
		return "sent", nil
	})
	if err != nil || res != "sent" || tries != 3 {
		t.Fatalf("got %q, %v after %d tries; want sent after 3", res, err, tries)
	}

	tries = 0
	_, err = retry(context.Background(), "r2", func(context.Context) (string, error) {
		tries++
		return "", codes.New(codes.NotOwner, "bob does not own it")
	})
	if !codes.Is(err, codes.NotOwner) || tries != 1 {
		t.Fatalf("a refusal: %v after %d tries, want NOT_OWNER at once", err, tries)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	began := time.Now()
	_, err = retry(ctx, "r3", func(ctx context.Context) (string, error) {
		<-ctx.Done() // no answer: the worker is down
		return "", ctx.Err()
	})
	if !codes.Is(err, codes.OutcomeUnknown) || !strings.Contains(err.Error(), "r3") {
		t.Fatalf("no answer: %v, want OUTCOME_UNKNOWN naming the request id", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Fatalf("gave up after %s, past the caller's deadline", d)
	}
}
