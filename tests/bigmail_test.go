package tests

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"outbound/internal/api"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// plainEmail is a text email of about size bytes from a customer, in lines
// of 998 characters as the reproduction sent them.
func plainEmail(from, subject string, size int, fill byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: <%s>\r\nSubject: %s\r\nMessage-ID: <%s.%s>\r\n\r\n", from, subject, strings.ReplaceAll(subject, " ", "-"), from)
	line := append(bytes.Repeat([]byte{fill}, 998), "\r\n"...)
	for b.Len() < size {
		b.Write(line)
	}
	return b.Bytes()
}

// Twenty 1.9 MB emails into one conversation, then forty of 60 KB (each under
// the per-message cap): every one is accepted, the transcript keeps a preview
// of each long one and the archive the whole body, the state stays far under
// Temporal's 2 MiB payload limit, and the conversation still works: the
// agent answers, closes, and gets the slot back. (Issue 12, finding 1: two
// 1.5 MB emails wedged a conversation for good.)
func TestLongEmailsNeverWedgeAConversation(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	customer := newEmail()
	id := startEmail(t, c, customer, "Your statement "+customer)
	entry := entryAddress(c, "ep-email")
	const long, short = 20, 40
	for i := range long {
		if err := smtp.SendMail(env.MailinAddr, nil, customer, []string{entry}, plainEmail(customer, fmt.Sprintf("long %d", i), 1900<<10, 'F')); err != nil {
			t.Fatalf("long email %d: %v", i, err)
		}
	}
	for i := range short {
		if err := smtp.SendMail(env.MailinAddr, nil, customer, []string{entry}, plainEmail(customer, fmt.Sprintf("short %d", i), 60<<10, 'S')); err != nil {
			t.Fatalf("60 KB email %d: %v", i, err)
		}
	}
	var st api.ConversationState
	eventually(t, 2*time.Minute, "every email in the transcript", func() bool {
		st = show(t, c, id)
		return len(st.Messages) >= long+short
	})
	for i, m := range st.Messages {
		body, err := c.Body(ctx, m)
		if err != nil {
			t.Fatalf("%s: %v", m.ID, err)
		}
		text := strings.TrimSpace(body.Text)
		switch {
		case i < long && (m.Body == "" || len(m.Text) > model.PreviewBytes+len("…") || len(text) < 1900<<10-2000 || strings.Trim(text, "F\r\n") != ""):
			t.Fatalf("long email %s: preview %d bytes, body key %q, whole %d bytes", m.ID, len(m.Text), m.Body, len(text))
		case i >= long && (m.Body != "" || len(text) < 60<<10-2000 || strings.Trim(text, "S\r\n") != ""):
			t.Fatalf("60 KB email %s: kept whole in the transcript? body key %q, %d bytes", m.ID, m.Body, len(text))
		}
	}
	raw, err := api.ConversationQuery.Get(ctx, env.Temporal, workflowID(id))
	if err != nil {
		t.Fatal(err)
	}
	state, _ := json.Marshal(raw)
	if len(state) > 1536<<10 || len(raw.Archived) == 0 {
		t.Fatalf("the workflow's state is %d KiB with %d archived pages; want it bounded, older messages archived", len(state)>>10, len(raw.Archived))
	}
	if res, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: "Thank you, all received."}); err != nil || res.Status == model.MessageFailed {
		t.Fatalf("the agent answers: %+v %v", res, err)
	}
	if _, err := c.Close(ctx, id, "alice"); err != nil {
		t.Fatalf("close: %v", err)
	}
	// The wrap-up times out (2 s here) and gives the slot back.
	eventually(t, 15*time.Second, "alice's slot back", func() bool { _, inUse := agentInUse(t, c, "alice"); return inUse == 0 })
}

// What the receiver takes (up to 10 MB) lands; what it cannot take is
// refused for good (5xx), never "try again later" (4xx), which would make the
// sender's MTA retry for days. (Issue 12, finding 2: 3 MB and 9 MB of text
// got 451.)
func TestEmailSizesAcceptedOrRefusedForGood(t *testing.T) {
	c := env.Tenant(t)
	entry := entryAddress(c, "ep-email")
	for _, size := range []int{3 << 20, 9 << 20} {
		from := newEmail()
		if err := smtp.SendMail(env.MailinAddr, nil, from, []string{entry}, plainEmail(from, fmt.Sprintf("big %d", size), size, 'F')); err != nil {
			t.Errorf("%d bytes: %v, want it accepted", size, err)
		}
	}
	from := newEmail()
	err := smtp.SendMail(env.MailinAddr, nil, from, []string{entry}, plainEmail(from, "too big", 11<<20, 'F'))
	var reply *textproto.Error
	if !errors.As(err, &reply) || reply.Code < 500 {
		t.Errorf("11 MB: %v, want a 5xx reply", err)
	}
}
