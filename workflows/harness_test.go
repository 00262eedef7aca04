package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"outbound/activities"
	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// The tenant every conversation test runs in.
const (
	tenant      = "acme"
	entryPoint  = "ep-sms"
	customerKey = "k1"
)

var (
	conversationWorkflowID = api.ConversationWorkflowID(tenant, entryPoint, customerKey)
	t0                     = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
)

func agentID(name string) string { return api.AgentWorkflowID(tenant, name) }

func testPolicy() model.Policy {
	return model.Policy{
		TransferOfferTimeout: 45 * time.Second,
		WrapUp: model.WrapUpPolicy{
			Timeout:       time.Minute,
			Reasons:       []string{"resolved", "follow-up", "no-reason"},
			DefaultReason: "no-reason",
		},
		EntryQueue: "support",
		Queues:     []string{"support", "sales"},
		Flows:      []string{"survey"},
	}
}

func smsStart() api.StartRequest {
	return api.StartRequest{
		Tenant: tenant, Agent: "alice", Channel: "sms", EntryPoint: entryPoint,
		To: "+14155550123", First: &model.Compose{Text: "Hello from Acme"},
	}
}

func prepared() model.PreparedStart {
	return model.PreparedStart{
		Customer: "+14155550123", CustomerKey: customerKey, EntryAddress: "+14155550100",
		Policy: testPolicy(),
	}
}

// sentSignal is one signal the workflow under test sent to another workflow.
type sentSignal struct {
	WorkflowID string
	Name       string
	Arg        any
}

// transferOutCall is one TransferOut activity call.
type transferOutCall struct {
	Agent string
	Req   api.LeaveRequest
}

// harness runs one workflow in a test environment with every activity and
// every external signal replaced by the fakes below; the fakes record their
// calls. Set the behaviour fields before run.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment

	prepare      func(api.StartRequest) (model.PreparedStart, error)
	reserve      func(api.ReserveRequest) error
	openCustomer func(api.CustomerOpenRequest) (api.CustomerContext, error)
	transferOut  func(agent string, req api.LeaveRequest) error
	rank         func(model.RankRequest) ([]string, error)
	enqueue      func(queue string, w api.Waiting) error
	deliver      func(model.Delivery) (model.Delivered, error)
	compose      func(model.ComposeRequest) (model.Rendered, error)
	checkSMS     func(sids []string) ([]model.ProviderStatus, error)
	checkSlots   func(api.SlotCheckRequest) ([]api.DeadSlot, error)
	onSignal     func(sentSignal) error // runs while the workflow waits for the signal to be sent; its error fails the send

	mu           sync.Mutex
	signals      []sentSignal
	prepares     int
	reserves     []api.ReserveRequest
	transferOuts []transferOutCall
	ranks        []model.RankRequest
	enqueues     []enqueueCall
	deliveries   []model.Delivery
	composes     []model.ComposeRequest
	channels     []string // the channel activity of each delivery
	smsChecks    [][]string

	convID string // the conversation's id, known once it has opened
}

func newHarness(t *testing.T) *harness {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.RegisterActivity(&activities.Activities{})
	h := &harness{
		t: t, env: env,
		prepare:      func(api.StartRequest) (model.PreparedStart, error) { return prepared(), nil },
		reserve:      func(api.ReserveRequest) error { return nil },
		openCustomer: func(api.CustomerOpenRequest) (api.CustomerContext, error) { return api.CustomerContext{}, nil },
		transferOut:  func(string, api.LeaveRequest) error { return nil },
		rank:         func(model.RankRequest) ([]string, error) { return nil, nil },
		enqueue:      func(string, api.Waiting) error { return nil },
		deliver: func(d model.Delivery) (model.Delivered, error) {
			return model.Delivered{ProviderID: "SM-" + d.Key, Segments: 1}, nil
		},
		checkSMS: func([]string) ([]model.ProviderStatus, error) { return nil, nil },
		// every conversation runs and names the agent
		checkSlots: func(api.SlotCheckRequest) ([]api.DeadSlot, error) { return nil, nil },
		compose: func(req model.ComposeRequest) (model.Rendered, error) {
			return model.Rendered{Text: "rendered " + req.Compose.Template, Template: req.Compose.Template}, nil
		},
	}
	env.OnActivity(a.PrepareStart, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req api.StartRequest) (model.PreparedStart, error) {
			h.mu.Lock()
			h.prepares++
			h.mu.Unlock()
			return h.prepare(req)
		})
	env.OnActivity(a.Reserve, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req api.ReserveRequest) error {
			h.mu.Lock()
			h.reserves = append(h.reserves, req)
			h.mu.Unlock()
			return h.reserve(req)
		})
	env.OnActivity(a.OpenCustomer, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req api.CustomerOpenRequest) (api.CustomerContext, error) {
			return h.openCustomer(req)
		})
	env.OnActivity(a.TransferOut, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ string, agent string, req api.LeaveRequest) error {
			h.mu.Lock()
			h.transferOuts = append(h.transferOuts, transferOutCall{agent, req})
			h.mu.Unlock()
			return h.transferOut(agent, req)
		})
	env.OnActivity(a.CheckSlots, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req api.SlotCheckRequest) ([]api.DeadSlot, error) { return h.checkSlots(req) })
	env.OnActivity(a.RankQueue, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req model.RankRequest) ([]string, error) {
			h.mu.Lock()
			h.ranks = append(h.ranks, req)
			h.mu.Unlock()
			return h.rank(req)
		})
	deliver := func(channel string) func(context.Context, model.Delivery) (model.Delivered, error) {
		return func(_ context.Context, d model.Delivery) (model.Delivered, error) {
			h.mu.Lock()
			h.deliveries = append(h.deliveries, d)
			h.channels = append(h.channels, channel)
			h.mu.Unlock()
			return h.deliver(d)
		}
	}
	env.OnActivity(a.DeliverSMS, mock.Anything, mock.Anything).Return(deliver("sms"))
	env.OnActivity(a.DeliverEmail, mock.Anything, mock.Anything).Return(deliver("email"))
	env.OnActivity(a.CheckSMS, mock.Anything, mock.Anything).Return(
		func(_ context.Context, sids []string) ([]model.ProviderStatus, error) {
			h.mu.Lock()
			h.smsChecks = append(h.smsChecks, sids)
			h.mu.Unlock()
			return h.checkSMS(sids)
		})
	env.OnActivity(a.ComposeMessage, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req model.ComposeRequest) (model.Rendered, error) {
			h.mu.Lock()
			h.composes = append(h.composes, req)
			h.mu.Unlock()
			return h.compose(req)
		})
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_, workflowID, _, name string, arg any) error {
			h.mu.Lock()
			h.signals = append(h.signals, sentSignal{workflowID, name, arg})
			h.mu.Unlock()
			if h.onSignal != nil {
				return h.onSignal(sentSignal{workflowID, name, arg})
			}
			return nil
		})
	env.OnActivity(a.Enqueue, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _, queue string, w api.Waiting) error {
			h.mu.Lock()
			h.enqueues = append(h.enqueues, enqueueCall{queue, w})
			h.mu.Unlock()
			return h.enqueue(queue, w)
		})
	return h
}

// enqueueCall is one Enqueue activity call.
type enqueueCall struct {
	Queue   string
	Waiting api.Waiting
}

func (h *harness) enqueueCalls() []enqueueCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]enqueueCall(nil), h.enqueues...)
}

// startConversation runs the Conversation workflow from a start request until
// it ends (by itself, or by a cancel the test scheduled with endAt).
func (h *harness) startConversation(req api.StartRequest) {
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: conversationWorkflowID})
	h.env.RegisterDelayedCallback(func() { h.convID = h.state().ID }, time.Second)
	h.env.ExecuteWorkflow(Conversation, api.ConversationInput{Start: &req})
}

// resumeConversation runs the Conversation workflow from a carried state.
func (h *harness) resumeConversation(st api.ConversationState) {
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: st.WorkflowID})
	h.convID = st.ID
	h.env.ExecuteWorkflow(Conversation, api.ConversationInput{State: &st})
}

// at runs f at a virtual time after the start.
func (h *harness) at(d time.Duration, f func()) { h.env.RegisterDelayedCallback(f, d) }

// endAt cancels the (otherwise endless) workflow at d.
func (h *harness) endAt(d time.Duration) { h.at(d, h.env.CancelWorkflow) }

// state queries the conversation's state.
func (h *harness) state() api.ConversationState { return queryState[api.ConversationState](h) }

func queryState[T any](h *harness) T {
	h.t.Helper()
	var st T
	v, err := h.env.QueryWorkflow("state")
	require.NoError(h.t, err)
	require.NoError(h.t, v.Get(&st))
	return st
}

// snapshot records the conversation state at d.
func (h *harness) snapshot(d time.Duration) *api.ConversationState {
	return snapshotAt[api.ConversationState](h, d)
}

// snapshotAt records the workflow's state at d.
func snapshotAt[T any](h *harness, d time.Duration) *T {
	st := new(T)
	h.at(d, func() { *st = queryState[T](h) })
	return st
}

// updateResult is what the update callbacks reported.
type updateResult struct {
	accepted  bool
	rejected  error
	completed bool
	value     any
	err       error
}

// update sends the update at d; req builds the argument from the conversation id.
func update[N ~string](h *harness, d time.Duration, name N, req func(id string) any) *updateResult {
	r := &updateResult{}
	h.at(d, func() { sendUpdate(h, r, name, req(h.convID)) })
	return r
}

// open sends the starter's `open` update at d.
func (h *harness) open(d time.Duration) *updateResult {
	r := &updateResult{}
	h.at(d, func() { sendUpdate(h, r, api.ConversationOpen, api.OpenRequest{}) })
	return r
}

func sendUpdate[N ~string](h *harness, r *updateResult, name N, args ...any) {
	h.env.UpdateWorkflow(string(name), "", &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { r.rejected = err },
		OnAccept:   func() { r.accepted = true },
		OnComplete: func(v any, err error) { r.completed, r.value, r.err = true, v, err },
	}, args...)
}

// requireDone fails unless the update was accepted and completed without error.
func requireDone(t *testing.T, r *updateResult) {
	t.Helper()
	require.NoError(t, r.rejected, "update rejected")
	require.True(t, r.accepted, "update not accepted")
	require.True(t, r.completed, "update not completed")
	require.NoError(t, r.err)
}

// requireRejected fails unless the validator refused the update with code.
func requireRejected(t *testing.T, r *updateResult, code codes.Code) {
	t.Helper()
	require.False(t, r.accepted, "update accepted, want rejected with %s", code)
	requireCode(t, r.rejected, code)
}

// requireFailed fails unless the update was accepted and its handler failed with code.
func requireFailed(t *testing.T, r *updateResult, code codes.Code) {
	t.Helper()
	require.True(t, r.accepted, "update not accepted")
	require.True(t, r.completed, "update not completed")
	requireCode(t, r.err, code)
}

// signal sends the signal named name (an api.Signal) at d; req builds the
// argument from the conversation id.
func signal[N ~string](h *harness, d time.Duration, name N, req func(id string) any) {
	h.at(d, func() { h.env.SignalWorkflow(string(name), req(h.convID)) })
}

func send(agent, text string) func(string) any {
	return func(id string) any {
		return api.SendRequest{Conversation: id, Agent: agent, Compose: model.Compose{Text: text}}
	}
}

func reply(text string) func(string) any {
	return func(id string) any {
		return api.ReplyRequest{Conversation: id, CustomerMessage: model.CustomerMessage{Text: text}}
	}
}

func byAgent(agent string) func(string) any {
	return func(id string) any { return api.AgentRequest{Conversation: id, Agent: agent} }
}

func toAgent(from, to string) func(string) any {
	return func(id string) any { return api.TransferRequest{Conversation: id, Agent: from, ToAgent: to} }
}

func toQueue(from, queue string) func(string) any {
	return func(id string) any { return api.TransferRequest{Conversation: id, Agent: from, ToQueue: queue} }
}

func trigger(agent, flow string) func(string) any {
	return func(id string) any { return api.TriggerRequest{Conversation: id, Agent: agent, Flow: flow} }
}

// signalsTo lists the names of the signals sent to a workflow, in order.
func (h *harness) signalsTo(workflowID string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var names []string
	for _, s := range h.signals {
		if s.WorkflowID == workflowID {
			names = append(names, s.Name)
		}
	}
	return names
}

// signalArg returns the argument of the first signal name sent to workflowID.
func (h *harness) signalArg(workflowID, name string) (any, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.signals {
		if s.WorkflowID == workflowID && s.Name == name {
			return s.Arg, true
		}
	}
	return nil, false
}

func (h *harness) reserveCalls() []api.ReserveRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]api.ReserveRequest(nil), h.reserves...)
}

func (h *harness) deliveryChannels() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.channels...)
}

func (h *harness) transferOutCalls() []transferOutCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]transferOutCall(nil), h.transferOuts...)
}

func (h *harness) rankCalls() []model.RankRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]model.RankRequest(nil), h.ranks...)
}

func (h *harness) composeCalls() []model.ComposeRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]model.ComposeRequest(nil), h.composes...)
}

func (h *harness) deliveryCalls() []model.Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]model.Delivery(nil), h.deliveries...)
}

// result is the workflow's return value; the workflow must have ended.
func (h *harness) result() api.ConversationState {
	h.t.Helper()
	require.True(h.t, h.env.IsWorkflowCompleted())
	var st api.ConversationState
	require.NoError(h.t, h.env.GetWorkflowResult(&st))
	return st
}

// continuedState decodes the input of the run the workflow continued as.
func continuedState(t *testing.T, err error) api.ConversationInput {
	t.Helper()
	require.True(t, workflow.IsContinueAsNewError(err), "want continue-as-new, got %v", err)
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can))
	var in api.ConversationInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &in))
	return in
}

// requireCode fails unless err carries the §5 code.
func requireCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	got, msg, ok := codes.Of(err)
	require.True(t, ok, "want %s, got %v", code, err)
	require.Equal(t, code, got, "error: %v", err)
	require.NotEmpty(t, msg)
}

func eventKinds(st api.ConversationState) []string {
	var kinds []string
	for _, e := range st.Events {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

func isContinueAsNew(err error) bool { return workflow.IsContinueAsNewError(err) }
