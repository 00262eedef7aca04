package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"outbound/internal/api"
	"outbound/internal/model"
)

func checkedAfter(after time.Duration) func(api.StartRequest) (model.PreparedStart, error) {
	return func(api.StartRequest) (model.PreparedStart, error) {
		p := prepared()
		p.Policy.DeliveryCheckAfter = after
		return p, nil
	}
}

// A sent SMS whose callbacks never come (lost with a crashed worker) is
// asked about at its provider once DeliveryCheckAfter has passed, and takes
// the status the provider gives.
func TestSentSMSWithoutCallbackIsAskedAbout(t *testing.T) {
	h := newHarness(t)
	h.prepare = checkedAfter(10 * time.Minute)
	h.checkSMS = func(sids []string) ([]model.ProviderStatus, error) {
		return []model.ProviderStatus{{ProviderID: sids[0], Status: model.MessageDelivered}}, nil
	}
	before := h.snapshot(9 * time.Minute)
	after := h.snapshot(11 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	require.Equal(t, model.MessageSent, before.Messages[0].Status)
	require.Equal(t, model.MessageDelivered, after.Messages[0].Status)
	require.Equal(t, [][]string{{after.Messages[0].ProviderID}}, h.smsChecks, "asked once, by the message's sid")
}

// A message the provider cannot confirm becomes "unconfirmed" (visible, not
// "sent" for good), is asked about three times in all, and still takes a
// callback that comes later.
func TestUnconfirmedSMSIsAskedThreeTimesAndTakesALateCallback(t *testing.T) {
	h := newHarness(t)
	h.prepare = checkedAfter(10 * time.Minute)
	first := h.snapshot(11 * time.Minute)
	third := h.snapshot(45 * time.Minute)
	signal(h, 50*time.Minute, api.ConversationDeliveryStatus, func(id string) any {
		return api.DeliveryStatusRequest{Conversation: id, MessageID: deliveryKey("m1", model.Message{Text: "Hello from Acme"}), Status: model.MessageDelivered}
	})
	late := h.snapshot(51 * time.Minute)
	h.endAt(2 * time.Hour)
	h.startConversation(smsStart())

	require.Equal(t, model.MessageUnconfirmed, first.Messages[0].Status)
	require.Equal(t, model.MessageUnconfirmed, third.Messages[0].Status)
	require.Equal(t, deliveryChecks, third.Messages[0].Checks)
	require.Len(t, h.smsChecks, deliveryChecks, "asked three times, then left as it is")
	require.Equal(t, model.MessageDelivered, late.Messages[0].Status)
}

// A message whose callback came is never asked about: the check costs the
// conversation one timer, and no activity.
func TestDeliveredSMSIsNotAskedAbout(t *testing.T) {
	h := newHarness(t)
	h.prepare = checkedAfter(10 * time.Minute)
	signal(h, time.Minute, api.ConversationDeliveryStatus, func(id string) any {
		return api.DeliveryStatusRequest{Conversation: id, MessageID: deliveryKey("m1", model.Message{Text: "Hello from Acme"}), Status: model.MessageDelivered}
	})
	st := h.snapshot(time.Hour)
	h.endAt(2 * time.Hour)
	h.startConversation(smsStart())

	require.Equal(t, model.MessageDelivered, st.Messages[0].Status)
	require.Empty(t, h.smsChecks)
}

// After the conversation closed, its customer's record goes on with the
// checks of its last messages.
func TestCustomerRecordChecksAClosedConversationsSMS(t *testing.T) {
	h := newHarness(t)
	h.checkSMS = func(sids []string) ([]model.ProviderStatus, error) {
		return []model.ProviderStatus{{ProviderID: sids[0], Status: model.MessageFailed, Error: "provider error 30003"}}, nil
	}
	last := []model.Message{
		{ID: "m1", Direction: model.Outbound, Text: "Your order shipped", Status: model.MessageSent, ProviderID: "SM1", At: t0},
		{ID: "m2", Direction: model.Inbound, Text: "Thanks!", Status: model.MessageReceived, At: t0},
	}
	agentOp(h, time.Minute, api.CustomerOpen, customerOpen("c1", ""))
	signal(h, 3*time.Minute, api.CustomerClosed, func(string) any {
		return api.CustomerClosedRequest{Conversation: "c1", ClosedAt: t0.Add(3 * time.Minute), LastMessages: last, DeliveryCheckAfter: 10 * time.Minute}
	})
	st := snapshotAt[api.CustomerState](h, 20*time.Minute)
	h.endAt(time.Hour)
	h.startCustomer()

	m := st.Conversations[0].LastMessages[0]
	require.Equal(t, model.MessageFailed, m.Status)
	require.Equal(t, "provider error 30003", m.Error)
	require.Equal(t, [][]string{{"SM1"}}, h.smsChecks)
	require.Equal(t, "m1", st.Conversations[0].LateStatuses[0].MessageID)
}
