package tests

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"outbound/internal/address"
	"outbound/internal/api"
	"outbound/internal/codec"
	"outbound/internal/conversations"
	"outbound/internal/model"
	"outbound/internal/service"
)

// record rewrites the committed replay histories under workflows/testdata:
//
//	go test ./tests -run TestReplayHistories -record
var record = flag.Bool("record", false, "rewrite workflows/testdata from fresh runs")

// TestReplayHistories runs real conversations that touch every handler and
// timer, then replays their histories against the current workflow code. With
// -record it saves them as the committed histories workflows/replay_test.go
// replays on every change.
func TestReplayHistories(t *testing.T) {
	// Offers a test must see and answer last as long as a person's: found,
	// under stress-ng --cpu 4 a 2 s offer to bob expired before the test saw it.
	c := env.PeopleTenant(t)
	ctx := testContext(t)
	histories := map[string]string{}

	full := startSMS(t, c, "alice", newPhone())
	mustDo(t, func() error {
		_, err := c.Send(ctx, conversations.Sync, full, "alice", model.Compose{Template: "greeting", Vars: map[string]string{"name": "Ada"}})
		return err
	})
	mustDo(t, func() error { _, err := c.Reply(ctx, conversations.Sync, full, "Hi, my parcel is late"); return err })
	// The signal forms (send --async, a webhook's reply), then an update
	// that comes after them.
	mustDo(t, func() error {
		_, err := c.Send(ctx, conversations.Async, full, "alice", model.Compose{Text: "Checking now"})
		return err
	})
	mustDo(t, func() error { _, err := c.Reply(ctx, conversations.Async, full, "Thanks"); return err })
	mustDo(t, func() error { _, err := c.Trigger(ctx, full, "alice", "survey"); return err })
	mustDo(t, func() error { _, err := c.Transfer(ctx, full, "alice", "bob", ""); return err })
	mustDo(t, func() error { _, err := c.Accept(ctx, full, "bob"); return err })
	mustDo(t, func() error { return c.WrapUp(ctx, full, "alice", "follow-up") })
	mustDo(t, func() error { _, err := c.Close(ctx, full, "bob"); return err })
	histories["conversation-transfer-accept-close"] = workflowID(full)
	// Since the delivery keys and checks: sends named by their request,
	// the check's timer started while a message waited for its callback.
	histories["conversation-keys-check-timer"] = workflowID(full)

	timedOut := startSMS(t, c, "alice", newPhone())
	mustDo(t, func() error { _, err := c.Transfer(ctx, timedOut, "alice", "bob", ""); return err })
	eventually(t, offerPatience, "the offer timeout", func() bool { return show(t, c, timedOut).Status == api.StatusQueued })
	mustDo(t, func() error { _, err := c.Accept(ctx, timedOut, "alice"); return err })
	histories["conversation-offer-timeout-queued-pickup"] = workflowID(timedOut)

	customer := newPhone()
	customerStarted := inbound(t, c, inboundSMS(c, customer, "Hello? I have a question", "SMrec1"+customer))
	eventually(t, 10*time.Second, "an offer of the customer's conversation", func() bool {
		p := show(t, c, customerStarted).PendingTransfer
		return p != nil && p.OfferedTo != ""
	})
	target := show(t, c, customerStarted).PendingTransfer.OfferedTo
	mustDo(t, func() error { _, err := c.Decline(ctx, customerStarted, target); return err })
	eventually(t, 15*time.Second, "the next offer or the queue", func() bool {
		p := show(t, c, customerStarted).PendingTransfer
		return p == nil || (p.OfferedTo != "" && p.OfferedTo != target)
	})
	mustDo(t, func() error { _, err := c.Accept(ctx, customerStarted, "bob"); return err })
	mustDo(t, func() error {
		_, err := c.Send(ctx, conversations.Sync, customerStarted, "bob", model.Compose{Text: "Bob here, how can I help?"})
		return err
	})
	mustDo(t, func() error {
		return c.DeliveryStatus(ctx, customerStarted, "m2", model.MessageDelivered, "")
	})
	inbound(t, c, inboundSMS(c, customer, "STOP", "SMrec2"+customer))
	mustDo(t, func() error { _, err := c.Close(ctx, customerStarted, "bob"); return err })
	histories["conversation-inbound-decline-status-optout"] = workflowID(customerStarted)
	// The record routed both messages; a provider's retry of the first is dropped.
	inbound(t, c, inboundSMS(c, customer, "Hello? I have a question", "SMrec1"+customer))
	histories["customer-inbound-routing"] = api.CustomerWorkflowID(c.Tenant, show(t, c, customerStarted).CustomerKey)
	// Since batches: the messages come in "inbound-batch" signals.
	histories["customer-inbound-batch"] = histories["customer-inbound-routing"]

	refusedTo := newPhone()
	_, err := c.Start(ctx, conversations.StartOptions{Agent: "carol", Channel: "sms", EntryPoint: "ep-sms", To: refusedTo})
	if err == nil {
		t.Fatal("carol's start must be refused")
	}
	histories["conversation-refused"] = api.ConversationWorkflowID(c.Tenant, "ep-sms", address.Key(c.IDKey, refusedTo))
	histories["agent-alice"] = api.AgentWorkflowID(c.Tenant, "alice")
	histories["directory"] = api.DirectoryWorkflowID
	st := show(t, c, full)
	histories["customer"] = api.CustomerWorkflowID(c.Tenant, st.CustomerKey)

	// Queue routing: a transfer to a queue of idle agents waits in its line
	// until an agent becomes available; that offer times out, the next
	// agent to become available accepts.
	routed := startSMS(t, c, "alice", newPhone())
	setState(t, c, "bob", api.AgentIdle)
	setState(t, c, "carol", api.AgentIdle)
	mustDo(t, func() error { _, err := c.Transfer(ctx, routed, "alice", "", "billing"); return err })
	setState(t, c, "carol", api.AgentAvailable)
	waitOffered(t, c, routed, "carol")
	eventually(t, offerPatience, "the offer timeout", func() bool { return show(t, c, routed).Status == api.StatusQueued })
	setState(t, c, "bob", api.AgentAvailable)
	waitOffered(t, c, routed, "bob")
	mustDo(t, func() error { _, err := c.Accept(ctx, routed, "bob"); return err })
	mustDo(t, func() error { _, err := c.Close(ctx, routed, "bob"); return err })
	histories["conversation-queue-offer-timeout-accept"] = workflowID(routed)
	histories["queue-billing"] = api.QueueWorkflowID(c.Tenant, "billing")
	histories["agent-bob-queues"] = api.AgentWorkflowID(c.Tenant, "bob")
	// The same, since the availability view: bob reports his readiness and
	// billing routes on the reports.
	histories["queue-billing-availability-view"] = api.QueueWorkflowID(c.Tenant, "billing")
	histories["agent-bob-readiness-reports"] = api.AgentWorkflowID(c.Tenant, "bob")

	// A conversation every member of support had is re-offered after
	// reofferAfter (the queue's timer), and accepted.
	re := env.ReofferTenant(t)
	histories["conversation-reoffered"] = workflowID(parkedThenReoffered(t, re))
	histories["queue-support-reoffer"] = api.QueueWorkflowID(re.Tenant, "support")

	// An operator terminates dave's conversation: his slot check gives the
	// slot back.
	dropped := startSMS(t, c, "dave", newPhone())
	if err := env.Temporal.TerminateWorkflow(ctx, workflowID(dropped), "", "operator cleanup"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "dave's slot back", func() bool { _, inUse := agentInUse(t, c, "dave"); return inUse == 0 })
	histories["agent-dave-slot-check"] = api.AgentWorkflowID(c.Tenant, "dave")
	// Since the desk's change stamps (workflows/live.go): each of the three
	// kinds stamps what a desk shows of it.
	histories["conversation-desk-stamps"] = workflowID(full)
	histories["agent-bob-desk-stamps"] = api.AgentWorkflowID(c.Tenant, "bob")
	histories["queue-billing-desk-stamps"] = api.QueueWorkflowID(c.Tenant, "billing")

	// Since liveOfferKept (workflows/slots.go): carol's slot check gives
	// back an offer that timed out without her hearing, and leaves its
	// conversation in billing's line.
	staleOfferChecked(t, c, "dave", "carol")
	histories["agent-carol-stale-offer"] = api.AgentWorkflowID(c.Tenant, "carol")

	long, _ := archivedConversation(t, c, 900)
	mustDo(t, func() error { _, err := c.Close(ctx, long, "alice"); return err })

	ids := map[string]string{}
	replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		DataConverter: codec.DataConverter(env.Codec), FailureConverter: codec.FailureConverter(env.Codec),
	})
	if err != nil {
		t.Fatal(err)
	}
	service.RegisterWorkflows(replayer)
	runs := map[string]string{"conversation-archive": archivingRun(ctx, t, workflowID(long))}
	histories["conversation-archive"] = workflowID(long)
	for scenario, id := range histories {
		name := scenario
		h := history(ctx, t, id, runs[scenario])
		opts := worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: id}}
		if err := replayer.ReplayWorkflowHistoryWithOptions(nil, h, opts); err != nil {
			t.Fatalf("%s does not replay: %v", name, err)
		}
		if *record && save(t, name, h) {
			ids[name] = id
		}
	}
	if *record {
		saveIDs(t, ids)
	}
}

func mustDo(t *testing.T, op func() error) {
	t.Helper()
	if err := op(); err != nil {
		t.Fatal(err)
	}
}

func workflowID(conversation string) string {
	id, _, _ := api.SplitConversationID(conversation)
	return id
}

func history(ctx context.Context, t *testing.T, workflowID, runID string) *historypb.History {
	t.Helper()
	h := &historypb.History{}
	it := env.Temporal.GetWorkflowHistory(ctx, workflowID, runID, false, 0)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, e)
	}
	return h
}

// archivingRun is the run of a conversation that archived messages.
func archivingRun(ctx context.Context, t *testing.T, workflowID string) string {
	t.Helper()
	resp, err := env.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = %q", workflowID),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range resp.GetExecutions() {
		runID := run.GetExecution().GetRunId()
		for _, e := range history(ctx, t, workflowID, runID).GetEvents() {
			if e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == "ArchiveMessages" {
				return runID
			}
		}
	}
	t.Fatal("no run archived messages")
	return ""
}

// saveIDs adds the new histories' workflow IDs, which the histories do not
// hold and the workflow reads, to workflows/testdata/workflow-ids.json.
func saveIDs(t *testing.T, ids map[string]string) {
	path := filepath.Join("..", "workflows", "testdata", "workflow-ids.json")
	if data, err := os.ReadFile(path); err == nil {
		var kept map[string]string
		if err := json.Unmarshal(data, &kept); err != nil {
			t.Fatal(err)
		}
		for name, id := range kept {
			if _, recorded := ids[name]; !recorded {
				ids[name] = id
			}
		}
	}
	data, err := json.MarshalIndent(ids, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// save writes a new history; an existing one is kept, since it guards the
// code that recorded it (delete the file to record it again).
func save(t *testing.T, name string, h *historypb.History) bool {
	path := filepath.Join("..", "workflows", "testdata", name+".json")
	if _, err := os.Stat(path); err == nil {
		t.Logf("kept %s", path)
		return false
	}
	// Committed histories are stored decrypted: workflows/replay_test.go
	// replays them without keys.
	h = decrypted(t, h)
	data, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s (%d events)", path, len(h.Events))
	return true
}

// decrypted returns a copy of h with every payload decoded by the codec.
func decrypted(t *testing.T, h *historypb.History) *historypb.History {
	c, err := codec.New(env.Codec)
	if err != nil {
		t.Fatal(err)
	}
	h = proto.Clone(h).(*historypb.History)
	err = proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return c.Decode(ps)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}
