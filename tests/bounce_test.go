package tests

import (
	"net/smtp"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"

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
	mail, err := enmime.ReadEnvelope(strings.NewReader(findEmail(t, to)))
	if err != nil {
		t.Fatal(err)
	}
	entry := entryAddress(c, "ep-email")
	report := "From: MAILER-DAEMON@mx.example.com\r\nTo: " + entry + "\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Message-ID: <dsn-" + sent.MessageID + "@mx.example.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n" +
		"--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n" +
		"Final-Recipient: rfc822; " + to + "\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n" +
		"--b1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: " + entry + "\r\nTo: " + to + "\r\nMessage-ID: " + mail.GetHeader("Message-Id") + "\r\n" +
		"--b1--\r\n"
	if err := smtp.SendMail(env.MailinAddr, nil, "", []string{entry}, []byte(report)); err != nil {
		t.Fatalf("the bounce is accepted: %v", err)
	}
	st := show(t, c, id)
	if len(st.Messages) != 1 {
		t.Fatalf("the bounce must not land as a reply: %+v", st.Messages)
	}
	if m := st.Messages[0]; m.ID != sent.MessageID || m.Status != model.MessageFailed || !strings.Contains(m.Error, "552 5.2.2 mailbox full") {
		t.Fatalf("want %s failed with the report's reason, got %+v", sent.MessageID, m)
	}
}
