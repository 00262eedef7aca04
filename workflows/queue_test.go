package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"outbound/internal/api"
	"outbound/internal/directory"
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

// report is an agent's readiness report to the queue, ready since t0+since.
func report(agent string, seq int64, ready bool, since time.Duration) func(string) any {
	return func(string) any {
		return api.QueueWaking{Agent: agent, Report: true, Ready: ready, Since: t0.Add(since), Seq: seq}
	}
}

// Rule 17 and docs/rules.md §3: the longest-waiting conversation goes to the
// longest-available agent that may have it, each agent gets one offer per
// round, and an agent whose slot cannot be reserved is passed over, asked
// for its readiness again, and meanwhile out of the view.
func TestQueueOffersLongestWaitingToLongestAvailable(t *testing.T) {
	h := newHarness(t)
	h.reserve = func(req api.ReserveRequest) error {
		if req.Agent == "dave" {
			return errors.New("dave just took another conversation")
		}
		return nil
	}
	signal(h, 30*time.Second, api.QueueWake, report("frank", 1, true, 2*time.Second))
	signal(h, 30*time.Second, api.QueueWake, report("dave", 1, true, 0))
	signal(h, 30*time.Second, api.QueueWake, report("erin", 1, true, time.Second))
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv1, time.Minute))
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv2, time.Minute+time.Second, "erin"))
	st := snapshotAt[api.QueueState](h, 2*time.Minute)
	h.endAt(time.Hour)
	h.startQueue()

	require.Equal(t, []string{"erin"}, h.offers(conv1), "the longest-waiting goes first, to the first agent whose slot was granted")
	require.Equal(t, []string{"frank"}, h.offers(conv2))
	require.Equal(t, []string{string(api.AgentQueueWaiting), string(api.AgentRelease), string(api.AgentQueueWaiting)},
		h.signalsTo(agentID("dave")), "asked at start; a refused reservation is released and the agent asked again")
	for _, r := range h.reserveCalls() {
		require.Equal(t, api.ReserveOffer, r.Kind)
		require.True(t, r.OnlyAvailable, "queue offers go to available agents only")
	}
	require.Len(t, st.Waiting, 2)
	require.Equal(t, "erin", st.Waiting[0].OfferedTo)
	require.Equal(t, "frank", st.Waiting[1].OfferedTo)
	require.False(t, st.Reports["dave"].Ready, "dave is out of the view until it reports again")
}

// An offer declined or not answered returns the conversation to its place in
// the line, and the next offer goes to another agent.
func TestQueueOfferEndedComesBackWithoutThatAgent(t *testing.T) {
	h := newHarness(t)
	signal(h, 30*time.Second, api.QueueWake, report("erin", 1, true, 0))
	signal(h, 30*time.Second, api.QueueWake, report("dave", 1, true, time.Second))
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv1, time.Minute))
	signal(h, 2*time.Minute, api.QueueOfferEnded, func(string) any { return api.OfferEnded{Conversation: conv1, Agent: "erin"} })
	st := snapshotAt[api.QueueState](h, 3*time.Minute)
	h.endAt(time.Hour)
	h.startQueue()

	require.Equal(t, []string{"erin", "dave"}, h.offers(conv1))
	require.Equal(t, []string{"erin"}, st.Waiting[0].Exclude)
	require.Equal(t, "dave", st.Waiting[0].OfferedTo)
}

// The queue asks every member for its readiness once, routes on the reports
// (no query per member), keeps a later report over an earlier one that
// arrives after it, and ignores an agent that is not a member.
func TestQueueRoutesOnItsMembersReports(t *testing.T) {
	h := newHarness(t)
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv1, time.Minute))
	signal(h, 2*time.Minute, api.QueueWake, report("zoe", 1, true, 0)) // not a member
	signal(h, 3*time.Minute, api.QueueWake, report("frank", 2, false, 0))
	signal(h, 3*time.Minute+time.Second, api.QueueWake, report("frank", 1, true, 0)) // overtaken
	waited := snapshotAt[api.QueueState](h, 4*time.Minute)
	signal(h, 5*time.Minute, api.QueueWake, report("frank", 3, true, 5*time.Minute))
	h.endAt(time.Hour)
	h.startQueue()

	require.Equal(t, "", waited.Waiting[0].OfferedTo, "nobody reported ready yet")
	require.Equal(t, []string{"frank"}, h.offers(conv1))
	require.Empty(t, h.rankCalls(), "routing queries no member")
	for _, agent := range []string{"dave", "erin", "frank"} {
		told, _ := h.signalArg(agentID(agent), string(api.AgentQueueWaiting))
		require.Equal(t, api.QueueWaitingRequest{Queue: "sales", Waiting: true}, told, "each member is asked once")
	}
	require.Empty(t, h.signalsTo(agentID("zoe")))
}

// An agent workflow started again (terminated by an operator, then used)
// numbers its reports from 1: the queue takes them, not holding them to the
// old workflow's numbers.
func TestQueueTakesReportsOfAnAgentWorkflowStartedAgain(t *testing.T) {
	h := newHarness(t)
	again := func(seq int64, ready bool, run string) func(string) any {
		return func(string) any {
			return api.QueueWaking{Agent: "frank", Report: true, Ready: ready, Since: t0, Seq: seq, Run: run}
		}
	}
	signal(h, 30*time.Second, api.QueueWake, again(57, false, "first"))
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv1, time.Minute))
	signal(h, 2*time.Minute, api.QueueWake, again(1, true, "second"))
	h.endAt(time.Hour)
	h.startQueue()

	require.Equal(t, []string{"frank"}, h.offers(conv1))
}

// docs/rules.md §3, rule 19: a conversation every ready member has already
// had (one transferred it away, one declined, one let the offer drop) is not
// parked: its exclusions expire after the cool-down and a member that can
// take it gets the offer.
func TestQueueNeverParksAConversationWhileAMemberCouldTakeIt(t *testing.T) {
	h := newHarness(t)
	signal(h, 30*time.Second, api.QueueWake, report("erin", 1, true, 0))
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv1, time.Minute, "dave", "erin", "frank"))
	cooling := snapshotAt[api.QueueState](h, time.Minute+directory.DefaultReofferAfter-time.Second)
	st := snapshotAt[api.QueueState](h, time.Minute+directory.DefaultReofferAfter+time.Second)
	h.endAt(time.Hour)
	h.startQueue()

	require.Equal(t, "", cooling.Waiting[0].OfferedTo, "not offered back at once")
	require.Equal(t, []string{"erin"}, h.offers(conv1))
	require.Equal(t, "erin", st.Waiting[0].OfferedTo, "offered when the cool-down ends, with no other event")
	require.Empty(t, st.Waiting[0].Exclude, "the exclusions expired once every ready member had it")
}

// A conversation whose workflow is gone leaves the line, and the slot the
// queue reserved for it goes back to its agent.
func TestQueueDropsAConversationThatIsGone(t *testing.T) {
	h := newHarness(t)
	h.onSignal = func(s sentSignal) error {
		if s.Name == string(api.ConversationOffer) {
			return errors.New("workflow not found")
		}
		return nil
	}
	signal(h, 30*time.Second, api.QueueWake, report("erin", 1, true, 0))
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv1, time.Minute))
	st := snapshotAt[api.QueueState](h, 2*time.Minute)
	h.endAt(time.Hour)
	h.startQueue()

	require.Empty(t, st.Waiting)
	require.Equal(t, []string{string(api.AgentQueueWaiting), string(api.AgentRelease)}, h.signalsTo(agentID("erin")))
}

// A conversation taken by a pickup leaves the line and is offered to nobody.
func TestQueueLeaveTakesAConversationOut(t *testing.T) {
	h := newHarness(t)
	signal(h, time.Minute, api.QueueEnqueue, waiting(conv1, time.Minute))
	signal(h, 2*time.Minute, api.QueueLeave, func(string) any { return api.QueueLeaving{Conversation: conv1} })
	signal(h, 4*time.Minute, api.QueueWake, report("erin", 1, true, 0))
	st := snapshotAt[api.QueueState](h, 5*time.Minute)
	h.endAt(time.Hour)
	h.startQueue()

	require.Empty(t, st.Waiting)
	require.False(t, st.Hungry)
	require.Empty(t, h.offers(conv1))
}
