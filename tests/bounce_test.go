package tests

import (
	"errors"
	"net/smtp"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"outbound/internal/address"
	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// A bounce (a delivery status report from the null sender) for an agent's
// email marks that message failed with the report's reason; it does not
// appear as a customer's reply.
func TestBounceMarksItsMessageFailed(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newEmail()
	id := startEmail(t, c, to, "Your invoice "+to)
	sent, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: "Your invoice is attached."})
	if err != nil {
		t.Fatal(err)
	}
	bounce(t, c, findEmail(t, to), to, sent.MessageID, "552 5.2.2 mailbox full")
	st := show(t, c, id)
	if len(st.Messages) != 1 {
		t.Fatalf("the bounce must not land as a reply: %+v", st.Messages)
	}
	if m := st.Messages[0]; m.ID != sent.MessageID || m.Status != model.MessageFailed || !strings.Contains(m.Error, "552 5.2.2 mailbox full") {
		t.Fatalf("want %s failed with the report's reason, got %+v", sent.MessageID, m)
	}
}

// An out-of-office (null sender, Auto-Submitted) joins the open conversation
// marked automatic; once the conversation is closed it opens no new one. Mail
// from a mail system's own mailbox that names no message of ours is dropped:
// MAILER-DAEMON never becomes a customer.
func TestAutoRepliesAndMailerDaemonOpenNoConversation(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newEmail()
	id := startEmail(t, c, to, "Your order "+to)
	entry := entryAddress(c, "ep-email")
	outOfOffice := func(messageID string) conversations.InboundMessage {
		raw := "From: <" + to + ">\r\nTo: <" + entry + ">\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n" +
			"Message-ID: <" + messageID + ">\r\n\r\nBack on Monday.\r\n"
		if err := smtp.SendMail(env.MailinAddr, nil, "", []string{entry}, []byte(raw)); err != nil {
			t.Fatalf("the auto-reply is accepted: %v", err)
		}
		return conversations.InboundMessage{Channel: model.Email, To: entry, From: to, CustomerMessage: model.CustomerMessage{ProviderID: messageID}}
	}
	if got, err := c.Routed(ctx, outOfOffice("ooo1-"+to)); err != nil || got != id {
		t.Fatalf("the auto-reply went to %q (%v), want %s", got, err, id)
	}
	if last := show(t, c, id).Messages; len(last) == 0 || !last[len(last)-1].Auto || strings.TrimSpace(last[len(last)-1].Text) != "Back on Monday." {
		t.Fatalf("want the auto-reply last, marked automatic: %+v", last)
	}
	if _, err := c.Close(ctx, id, "alice"); err != nil {
		t.Fatal(err)
	}
	_, err := c.Routed(ctx, outOfOffice("ooo2-"+to))
	wantCode(t, err, codes.ConversationClosed)
	desc, err := env.Temporal.DescribeWorkflowExecution(ctx, workflowID(id), "")
	if err != nil || desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("an auto-reply after the close must open no conversation: %v %v", desc.GetWorkflowExecutionInfo().GetStatus(), err)
	}

	daemon := "MAILER-DAEMON@mx.example.com"
	raw := "From: Mail Delivery System <" + daemon + ">\r\nTo: <" + entry + ">\r\nSubject: Delivery delayed\r\n\r\nStill trying.\r\n"
	if err := smtp.SendMail(env.MailinAddr, nil, "bounces@mx.example.com", []string{entry}, []byte(raw)); err != nil {
		t.Fatalf("the notice is accepted: %v", err)
	}
	normalized, err := address.Normalize(model.Email, daemon)
	if err != nil {
		t.Fatal(err)
	}
	record := api.CustomerWorkflowID(c.Tenant, address.Key(c.IDKey, normalized))
	var notFound *serviceerror.NotFound
	if _, err := env.Temporal.DescribeWorkflowExecution(ctx, record, ""); !errors.As(err, &notFound) {
		t.Fatalf("MAILER-DAEMON has a customer record: %v", err)
	}
}

// bounce sends the delivery status report a mail system sends back for the
// agent's email (eml, its message messageID) that it could not deliver to to.
func bounce(t *testing.T, c *conversations.Client, eml, to, messageID, diagnostic string) {
	t.Helper()
	mail, err := enmime.ReadEnvelope(strings.NewReader(eml))
	if err != nil {
		t.Fatal(err)
	}
	entry := entryAddress(c, "ep-email")
	report := "From: MAILER-DAEMON@mx.example.com\r\nTo: " + entry + "\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Message-ID: <dsn-" + messageID + "@mx.example.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n" +
		"--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n" +
		"Final-Recipient: rfc822; " + to + "\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; " + diagnostic + "\r\n" +
		"--b1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: " + entry + "\r\nTo: " + to + "\r\nMessage-ID: " + mail.GetHeader("Message-Id") + "\r\n" +
		"--b1--\r\n"
	if err := smtp.SendMail(env.MailinAddr, nil, "", []string{entry}, []byte(report)); err != nil {
		t.Fatalf("the bounce is accepted: %v", err)
	}
}
