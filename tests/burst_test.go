package tests

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"

	"outbound/internal/address"
	"outbound/internal/api"
	"outbound/internal/codec"
	"outbound/internal/model"
)

// A burst of 200 signed webhooks to one conversation, all at once: each is
// answered 200 (no sender has to retry), and each message lands in the
// transcript once, in the order the customer's record received them.
func TestInboundBurstToOneConversation(t *testing.T) {
	c := env.Tenant(t)
	customer := newPhone()
	id := startSMS(t, c, "alice", customer)
	const n = 200
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			form := url.Values{"From": {customer}, "To": {entryAddress(c, "ep-sms")},
				"Body": {fmt.Sprintf("burst %03d", i)}, "MessageSid": {fmt.Sprintf("SMburst%03d%s", i, customer[1:])}}
			statuses[i], _ = webhook(form, true) // 0 when it failed
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Fatalf("webhook %d answered %d, want 200 for all: %v", i, s, statuses)
		}
	}
	var msgs []model.Message
	eventually(t, 2*time.Minute, "200 messages in the transcript", func() bool {
		msgs = show(t, c, id).Messages
		return len(msgs) >= n+1
	})
	var landed []string
	for _, m := range msgs[1:] {
		landed = append(landed, m.Text)
	}
	if len(landed) != n || len(slices.Compact(slices.Sorted(slices.Values(landed)))) != n {
		t.Fatalf("want %d distinct messages once each, got %d: %v", n, len(landed), landed)
	}
	if arrived := inboundSignals(t, api.CustomerWorkflowID(c.Tenant, address.Key(c.IDKey, customer))); !slices.Equal(arrived, landed) {
		t.Fatalf("the transcript is not in arrival order:\narrived %v\n landed %v", arrived, landed)
	}
}

// inboundSignals reads the texts of the inbound signals a customer's record
// received, in the server's order, across its continue-as-new runs.
func inboundSignals(t *testing.T, workflowID string) []string {
	t.Helper()
	ctx := testContext(t)
	var runs [][]*historypb.HistoryEvent
	for runID := ""; ; {
		events := history(ctx, t, workflowID, runID).GetEvents()
		runs = append([][]*historypb.HistoryEvent{events}, runs...)
		runID = events[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		if runID == "" {
			break
		}
	}
	dc := codec.DataConverter(env.Codec)
	var texts []string
	for _, events := range runs {
		for _, e := range events {
			s := e.GetWorkflowExecutionSignaledEventAttributes()
			if s == nil || s.GetSignalName() != string(api.CustomerInbound) {
				continue
			}
			var reqs []api.InboundRequest
			if err := dc.FromPayloads(s.GetInput(), &reqs); err != nil {
				t.Fatal(err)
			}
			for _, req := range reqs {
				texts = append(texts, req.Text)
			}
		}
	}
	return texts
}
