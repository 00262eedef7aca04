package tests

import (
	"fmt"
	"testing"
	"time"

	"outbound/internal/api"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// archivedConversation runs an SMS conversation long enough to continue as
// new several times and archive older messages to S3: the first message, n
// customer replies (signals, in order) and an agent message after every
// hundredth reply. It returns the conversation id and every text in order.
func archivedConversation(t *testing.T, c *conversations.Client, n int) (string, []string) {
	t.Helper()
	ctx := testContext(t)
	id, err := c.Start(ctx, conversations.StartOptions{
		Agent: "alice", Channel: "sms", To: newPhone(), EntryPoint: "ep-sms",
		First: &model.Compose{Text: "Hello from Acme"}, ContinueAsNewAfter: 600,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Hello from Acme"}
	for i := range n {
		text := fmt.Sprintf("reply %d", i)
		mustDo(t, func() error { _, err := c.Reply(ctx, conversations.Async, id, text); return err })
		want = append(want, text)
		if i%100 == 99 {
			// A send in the same workflow task as buffered signals may be
			// recorded before them: let the replies land first.
			eventually(t, 30*time.Second, "the replies recorded", func() bool { return len(show(t, c, id).Messages) == len(want) })
			text := fmt.Sprintf("agent %d", i)
			mustDo(t, func() error {
				_, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: text})
				return err
			})
			want = append(want, text)
		}
	}
	eventually(t, 30*time.Second, "every reply recorded", func() bool { return len(show(t, c, id).Messages) == len(want) })
	return id, want
}

// A long conversation moves older messages to the encrypted archive and
// `show` reads them back: every message once, in order, open or closed.
func TestLongConversationArchivesOlderMessages(t *testing.T) {
	c := env.Tenant(t)
	id, want := archivedConversation(t, c, 900)

	check := func(st api.ConversationState) {
		t.Helper()
		if len(st.Archived) == 0 {
			t.Fatal("nothing was archived")
		}
		if len(st.Messages) != len(want) {
			t.Fatalf("show has %d messages, want %d", len(st.Messages), len(want))
		}
		for i, m := range st.Messages {
			if m.Text != want[i] || m.ID != fmt.Sprintf("m%d", i+1) {
				t.Fatalf("message %d is %s %q, want m%d %q", i, m.ID, m.Text, i+1, want[i])
			}
		}
	}
	check(show(t, c, id))
	mustDo(t, func() error { _, err := c.Close(testContext(t), id, "alice"); return err })
	st := show(t, c, id)
	if st.Status != api.StatusClosed {
		t.Fatalf("status %s", st.Status)
	}
	check(st)

	unread := *c
	unread.Archive = nil
	if _, err := unread.Show(testContext(t), id); err == nil {
		t.Fatal("show without the archive must say the transcript is partly archived")
	}
}
