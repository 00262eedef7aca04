package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"outbound/internal/api"
	"outbound/internal/model"
)

const (
	conv1 = "conversation/acme/ep-sms/k1/run-1"
	conv2 = "conversation/acme/ep-sms/k2/run-1"
)

func conversationWorkflow(id string) string {
	workflowID, _, _ := api.SplitConversationID(id)
	return workflowID
}

// startQueue runs the sales queue (members dave, erin, frank) until the test's endAt.
func (h *harness) startQueue() {
	h.env.ExecuteWorkflow(Queue, api.QueueState{Config: api.QueueConfig{Tenant: tenant, ID: "sales", Members: []string{"dave", "erin", "frank"}}})
}

func waiting(conversation string, since time.Duration, exclude ...string) func(string) any {
	return func(string) any {
		return api.Waiting{Conversation: conversation, Since: t0.Add(since), Channel: model.SMS, Exclude: exclude}
	}
}

// offers lists the queue's offers to a conversation, by agent.
func (h *harness) offers(conversation string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var agents []string
	for _, s := range h.signals {
		if o, ok := s.Arg.(api.QueueOffer); ok && s.WorkflowID == conversationWorkflow(conversation) {
			agents = append(agents, o.Agent)
		}
	}
	return agents
}

// Rule 17 and docs/rules.md §3: the longest-waiting conversation goes to the
// longest-available agent that may have it, each agent gets one offer per
// round, and an agent whose slot cannot be reserved is passed over.
func TestQueueOffersLongestWaitingToLongestAvailable(t *testing.T) {
	h := newHarness(t)
	h.rank = func(model.RankRequest) ([]string, error) { return []string{"dave", "erin", "frank"}, nil }
	h.reserve = func(req api.ReserveRequest) error {
		if req.Agent == "dave" {
			return errors.New("dave just took another conversation")
		}
		return nil
	}
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv1, time.Minute))
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv2, time.Minute+time.Second, "erin"))
	st := snapshotAt[api.QueueState](h, 2*time.Minute)
	h.endAt(time.Hour)
	h.startQueue()

	require.Equal(t, []string{"erin"}, h.offers(conv1), "the longest-waiting goes first, to the first agent whose slot was granted")
	require.Equal(t, []string{"frank"}, h.offers(conv2))
	require.NotEmpty(t, h.signalsTo(agentID("dave")))
	for _, name := range h.signalsTo(agentID("dave")) {
		require.Equal(t, string(api.AgentRelease), name, "a refused reservation is released")
	}
	for _, r := range h.reserveCalls() {
		require.Equal(t, api.ReserveOffer, r.Kind)
		require.True(t, r.OnlyAvailable, "queue offers go to available agents only")
	}
	require.Len(t, st.Waiting, 2)
	require.Equal(t, "erin", st.Waiting[0].OfferedTo)
	require.Equal(t, "frank", st.Waiting[1].OfferedTo)
}

// An offer declined or not answered returns the conversation to its place in
// the line, and the next offer goes to another agent.
func TestQueueOfferEndedComesBackWithoutThatAgent(t *testing.T) {
	h := newHarness(t)
	h.rank = func(model.RankRequest) ([]string, error) { return []string{"erin", "dave"}, nil }
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv1, time.Minute))
	signal(h, 2*time.Minute, api.QueueOfferEnded, func(string) any { return api.OfferEnded{Conversation: conv1, Agent: "erin"} })
	st := snapshotAt[api.QueueState](h, 3*time.Minute)
	h.endAt(time.Hour)
	h.startQueue()

	require.Equal(t, []string{"erin", "dave"}, h.offers(conv1))
	require.Equal(t, []string{"erin"}, st.Waiting[0].Exclude)
	require.Equal(t, "dave", st.Waiting[0].OfferedTo)
}

// While conversations wait for an agent the queue asks its members to wake it
// when they can take one; a wake-up routes again; with nothing left to offer
// the members hear so.
func TestQueueWaitsForItsMembers(t *testing.T) {
	h := newHarness(t)
	available := []string{}
	h.rank = func(model.RankRequest) ([]string, error) { return available, nil }
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv1, time.Minute))
	hungry := snapshotAt[api.QueueState](h, 2*time.Minute)
	h.at(3*time.Minute, func() {
		available = []string{"frank"}
		h.env.SignalWorkflow(string(api.QueueWake), api.QueueWaking{Agent: "frank"})
	})
	fed := snapshotAt[api.QueueState](h, 4*time.Minute)
	h.endAt(time.Hour)
	h.startQueue()

	require.True(t, hungry.Hungry)
	require.Equal(t, []string{"frank"}, h.offers(conv1))
	require.False(t, fed.Hungry)
	for _, agent := range []string{"dave", "erin"} {
		require.Equal(t, []string{string(api.AgentQueueWaiting), string(api.AgentQueueWaiting)}, h.signalsTo(agentID(agent)))
	}
	told, _ := h.signalArg(agentID("dave"), string(api.AgentQueueWaiting))
	require.Equal(t, api.QueueWaitingRequest{Queue: "sales", Waiting: true}, told)
}

// A conversation whose workflow is gone leaves the line, and the slot the
// queue reserved for it goes back to its agent.
func TestQueueDropsAConversationThatIsGone(t *testing.T) {
	h := newHarness(t)
	h.rank = func(model.RankRequest) ([]string, error) { return []string{"erin"}, nil }
	h.onSignal = func(s sentSignal) error {
		if s.Name == string(api.ConversationOffer) {
			return errors.New("workflow not found")
		}
		return nil
	}
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv1, time.Minute))
	st := snapshotAt[api.QueueState](h, 2*time.Minute)
	h.endAt(time.Hour)
	h.startQueue()

	require.Empty(t, st.Waiting)
	require.Equal(t, []string{string(api.AgentRelease)}, h.signalsTo(agentID("erin")))
}

// A conversation taken by a pickup leaves the line and is offered to nobody.
func TestQueueLeaveTakesAConversationOut(t *testing.T) {
	h := newHarness(t)
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv1, time.Minute))
	signal(h, 2*time.Minute, api.QueueLeave, func(string) any { return api.QueueLeaving{Conversation: conv1} })
	h.at(3*time.Minute, func() { h.rank = func(model.RankRequest) ([]string, error) { return []string{"erin"}, nil } })
	signal(h, 4*time.Minute, api.QueueWake, func(string) any { return api.QueueWaking{Agent: "erin"} })
	st := snapshotAt[api.QueueState](h, 5*time.Minute)
	h.endAt(time.Hour)
	h.startQueue()

	require.Empty(t, st.Waiting)
	require.False(t, st.Hungry)
	require.Empty(t, h.offers(conv1))
}
