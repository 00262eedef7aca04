package soak

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"outbound/internal/address"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// Every customer number the load makes is one the product takes: a soak run
// whose exchange began with 0 or 1 had every SMS start refused as
// INVALID_ADDRESS.
func TestPhonesAreValidNumbers(t *testing.T) {
	seen := map[string]bool{}
	for r := range 2000 {
		run := fmt.Sprintf("soak%d", 1796287856+r)
		p := phone(run, 7, 49)
		if _, err := address.Normalize(model.SMS, p); err != nil {
			t.Fatalf("run %s: %s: %v", run, p, err)
		}
		seen[p[:8]] = true
	}
	if len(seen) < 500 {
		t.Errorf("only %d exchanges over 2,000 runs", len(seen))
	}
}

// A close sent anew (a new request id after failures) that finds the
// conversation closed is the earlier close landing: acknowledged, not refused.
// The first close answered so is a refusal.
func TestReissuedCloseFindingItClosedIsAcknowledged(t *testing.T) {
	l := &Load{inFlight: map[string]string{}}
	calls := 0
	closeOp := func(context.Context) error {
		if calls++; calls <= reissueAfter {
			return errors.New("frontend unreachable")
		}
		return codes.New(codes.ConversationClosed, "the conversation is closed")
	}
	if !l.do(context.Background(), "r-w0-c0/close", closeOp) || len(l.refused) != 0 || l.acked.Load() != 1 {
		t.Fatalf("reissued close: refused %q, acknowledged %d", l.refused, l.acked.Load())
	}
	alreadyClosed := func(context.Context) error { return codes.New(codes.ConversationClosed, "the conversation is closed") }
	if l.do(context.Background(), "r-w0-c1/close", alreadyClosed) || len(l.refused) != 1 {
		t.Fatalf("a first close refused must count: refused %q", l.refused)
	}
}

// A start answered TASK_CREATION_FAILED (rule 8, under a fault) is the
// start's answer and fails no run: nothing was created, and the load starts
// again as a new request. Any other refusal, or that code for another
// operation, fails the run.
func TestStartNotCreatedInTimeIsStartedAgain(t *testing.T) {
	l := &Load{inFlight: map[string]string{}}
	tries := 0
	notCreatedOnce := func(context.Context) error {
		if tries++; tries == 1 {
			return codes.New(codes.TaskCreationFailed, "no slot in time")
		}
		return nil
	}
	if !l.do(context.Background(), "r-w0-c0/start", notCreatedOnce) || tries != 2 || l.reissued.Load() != 1 {
		t.Fatalf("the start refused TASK_CREATION_FAILED was not started again as a new request: %d tries, %d reissued", tries, l.reissued.Load())
	}
	notCreated := func(context.Context) error { return codes.New(codes.TaskCreationFailed, "no slot in time") }
	l.do(context.Background(), "r-w0-c0/transfer", notCreated)
	l.do(context.Background(), "r-w0-c1/start", func(context.Context) error { return codes.New(codes.NotOwner, "no") })
	if l.notCreated != 1 || len(l.refused) != 2 {
		t.Fatalf("not created %d, refused %q", l.notCreated, l.refused)
	}
	if !(Report{NotCreated: 1}).OK() || (Report{Refused: 1}).OK() {
		t.Fatal("OK should accept starts not created in time and nothing else")
	}
}
