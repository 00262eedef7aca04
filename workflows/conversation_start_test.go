package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// Rule 8: the starting agent owns the conversation at once, and the first
// message goes out with an idempotency key of conversation id + message id.
func TestStartAutoAcceptsAndDeliversFirstMessage(t *testing.T) {
	h := newHarness(t)
	open := h.open(0)
	st := h.snapshot(time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, open)
	require.Equal(t, st.ID, open.value, "open answers the conversation id")
	require.Equal(t, conversationWorkflowID, st.WorkflowID)
	require.Equal(t, api.StatusActive, st.Status)
	require.Equal(t, "alice", st.Owner)
	require.Equal(t, "+14155550123", st.Customer)
	require.Equal(t, []string{"started"}, eventKinds(*st))

	require.Len(t, st.Messages, 1)
	m := st.Messages[0]
	require.Equal(t, model.Outbound, m.Direction)
	require.Equal(t, "Hello from Acme", m.Text)
	require.Equal(t, model.MessageSent, m.Status)
	require.Equal(t, "SM-"+deliveryKey("m1", m), m.ProviderID)

	deliveries := h.deliveryCalls()
	require.Len(t, deliveries, 1)
	require.Equal(t, st.ID+"/"+m.Key, deliveries[0].IdempotencyKey())
	require.Equal(t, "+14155550100", deliveries[0].From, "sent from the entry point")
	require.Equal(t, "+14155550123", deliveries[0].To)

	require.Equal(t, []api.ReserveRequest{{Tenant: tenant, Agent: "alice", Conversation: st.ID, Kind: api.ReserveStart}}, h.reserveCalls())
	require.Empty(t, h.signalsTo(agentID("alice")), "a successful start releases nothing")
}

// Rule 16: a new conversation keeps the previous one's history as context.
func TestStartInheritsPreviousConversation(t *testing.T) {
	h := newHarness(t)
	previous := []model.Message{{ID: "m1", Direction: model.Inbound, Text: "thanks", Status: model.MessageReceived}}
	h.openCustomer = func(req api.CustomerOpenRequest) (api.CustomerContext, error) {
		return api.CustomerContext{PreviousConversation: "conversation/acme/ep-sms/k1/old", PreviousMessages: previous}, nil
	}
	st := h.snapshot(time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	require.NotNil(t, st.PreviousConversation)
	require.Equal(t, "conversation/acme/ep-sms/k1/old", *st.PreviousConversation)
	require.Equal(t, previous[0].Text, st.PreviousMessages[0].Text)
}

// A refused start ends the run with status refused and the code, answers the
// starter's `open` update with that code, and leaves no agent slot taken.
func TestStartRefusalsEndTheRunWithTheirCode(t *testing.T) {
	refuse := func(code codes.Code) error { return codes.New(code, "refused by the test") }
	cases := []struct {
		name         string
		setup        func(h *harness)
		want         codes.Code
		wantReserved bool // a slot was reserved, so it must be released
		wantForget   bool // the customer's record is told to forget the conversation
	}{
		{
			name:  "license not premium (PrepareStart)",
			setup: func(h *harness) { h.prepare = failPrepare(refuse(codes.LicenseNotPremium)) },
			want:  codes.LicenseNotPremium,
		},
		{
			name:  "infrastructure failure is TASK_CREATION_FAILED",
			setup: func(h *harness) { h.prepare = failPrepare(errors.New("directory unavailable")) },
			want:  codes.TaskCreationFailed,
		},
		{
			name: "outbound limit (Reserve)",
			setup: func(h *harness) {
				h.reserve = func(api.ReserveRequest) error { return refuse(codes.OutboundLimitReached) }
			},
			want:         codes.OutboundLimitReached,
			wantReserved: true,
		},
		{
			name: "subject reused (OpenCustomer, after Reserve succeeded)",
			setup: func(h *harness) {
				h.openCustomer = func(api.CustomerOpenRequest) (api.CustomerContext, error) {
					return api.CustomerContext{}, refuse(codes.SubjectReused)
				}
			},
			want:         codes.SubjectReused,
			wantReserved: true,
		},
		{
			name: "the customer's record unreachable (OpenCustomer failed, after Reserve)",
			setup: func(h *harness) {
				h.openCustomer = func(api.CustomerOpenRequest) (api.CustomerContext, error) {
					return api.CustomerContext{}, errors.New("database unavailable")
				}
			},
			want:         codes.TaskCreationFailed,
			wantReserved: true,
			wantForget:   true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tc.setup(h)
			// PrepareStart waits for the starter's update, so the update is
			// sure to be waiting when the refusal comes.
			prepare, updateSent := h.prepare, make(chan struct{})
			h.prepare = func(req api.StartRequest) (model.PreparedStart, error) {
				<-updateSent
				return prepare(req)
			}
			open := h.open(0)
			h.at(0, func() { close(updateSent) })
			h.startConversation(smsStart())

			requireFailed(t, open, tc.want)
			st := h.result()
			require.Equal(t, api.StatusRefused, st.Status)
			require.Equal(t, string(tc.want), st.RefusedCode)
			require.Empty(t, st.Owner)
			require.Empty(t, h.deliveryCalls(), "a refused start sends nothing")

			reserves := h.reserveCalls()
			if !tc.wantReserved {
				require.Empty(t, reserves, "no slot is asked for before the rules pass")
				require.Empty(t, h.signalsTo(agentID("alice")))
				return
			}
			require.Len(t, reserves, 1)
			require.Equal(t, []string{string(api.AgentRelease)}, h.signalsTo(agentID("alice")), "the reserved slot must be released")
			// An open that failed may have landed: the record forgets it. One
			// the record refused changed nothing there.
			forgets := h.signalsTo(api.CustomerWorkflowID(tenant, customerKey))
			if tc.wantForget {
				require.Equal(t, []string{string(api.CustomerForget)}, forgets)
			} else {
				require.Empty(t, forgets)
			}
			arg, _ := h.signalArg(agentID("alice"), string(api.AgentRelease))
			require.Equal(t, api.SlotRequest{Conversation: st.ID}, arg)
		})
	}
}

func failPrepare(err error) func(api.StartRequest) (model.PreparedStart, error) {
	return func(api.StartRequest) (model.PreparedStart, error) { return model.PreparedStart{}, err }
}

// Delivery status: a message whose delivery failed is shown failed with the
// reason, never as sent.
func TestFailedDeliveryIsReportedFailed(t *testing.T) {
	h := newHarness(t)
	h.deliver = func(model.Delivery) (model.Delivered, error) {
		return model.Delivered{}, codes.New(codes.InvalidAddress, "number is not mobile")
	}
	st := h.snapshot(time.Minute)
	send := update(h, 2*time.Minute, api.ConversationSend, send("alice", "are you there?"))
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	require.Equal(t, model.MessageFailed, st.Messages[0].Status)
	require.Equal(t, "number is not mobile", st.Messages[0].Error)
	requireDone(t, send)
	res := send.value.(api.MessageResult)
	require.Equal(t, model.MessageFailed, res.Status)
	require.Equal(t, "m2", res.MessageID)
	require.NotEmpty(t, res.Error)
}
