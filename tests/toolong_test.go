package tests

import (
	"strings"
	"testing"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// An SMS that needs more than sms.MaxSegments parts is refused as
// MESSAGE_TOO_LONG at start as it is on a later send, and the start leaves
// nothing open behind it.
func TestOverLongSMSIsMessageTooLongAtStartAndSend(t *testing.T) {
	c := env.Tenant(t)
	long := strings.Repeat("a", 153*10+1) // 11 segments
	to := newPhone()
	_, err := c.Start(testContext(t), conversations.StartOptions{Agent: "alice", Channel: model.SMS, To: to, EntryPoint: "ep-sms",
		First: &model.Compose{Text: long}})
	if !codes.Is(err, codes.MessageTooLong) {
		t.Fatalf("start with an 11-segment SMS: %v, want MESSAGE_TOO_LONG", err)
	}
	id := startSMS(t, c, "alice", to) // the refused start left the customer free
	if _, err := c.Send(testContext(t), conversations.Sync, id, "alice", model.Compose{Text: long}); !codes.Is(err, codes.MessageTooLong) {
		t.Fatalf("send of an 11-segment SMS: %v, want MESSAGE_TOO_LONG", err)
	}
}

// An agent's email over model.MaxBodyBytes is refused as MESSAGE_TOO_LONG,
// whether the agent typed it or a template rendered it, and changes nothing.
func TestOverLongEmailIsMessageTooLong(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newEmail()
	id := startEmail(t, c, to, "Your contract "+to)
	for _, m := range []model.Compose{
		{Text: strings.Repeat("a", model.MaxBodyBytes+1)},
		{Text: strings.Repeat("a", 40<<10), HTML: "<p>" + strings.Repeat("b", 40<<10) + "</p>"},
	} {
		if _, err := c.Send(ctx, conversations.Sync, id, "alice", m); !codes.Is(err, codes.MessageTooLong) {
			t.Fatalf("send of %d bytes: %v, want MESSAGE_TOO_LONG", len(m.Text)+len(m.HTML), err)
		}
	}
	if msgs := show(t, c, id).Messages; len(msgs) != 0 {
		t.Fatalf("a refused message was recorded: %d messages", len(msgs))
	}
}
