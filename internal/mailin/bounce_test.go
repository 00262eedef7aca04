package mailin_test

import (
	"testing"

	"outbound/internal/mailin"
)

const dsn = `From: MAILER-DAEMON@mx.customer.example
To: support@acme.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn1@mx.customer.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example

Final-Recipient: rfc822; jane@customer.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 mailbox unknown

--b1
Content-Type: text/rfc822-headers

From: support@acme.example
To: jane@customer.example
Subject: Your order
Message-ID: <` + id1 + `>

--b1--
`

// A delivery status report names the outbound message it is about; it is
// recorded as that message's failure, with the report's reason, and never
// routed as a customer's reply. So is a plain bounce from the null sender
// that quotes the message.
func TestBounceMarksTheMessageItNamesFailed(t *testing.T) {
	plain := "From: postmaster@customer.example\nTo: support@acme.example\nSubject: failure notice\n\n" +
		"Sorry, we were unable to deliver your message.\n> Message-ID: <" + id1 + ">\n"
	for name, c := range map[string]struct{ from, raw, want string }{
		"report from a sender": {"postmaster@customer.example", dsn, conv1 + " m3 failed smtp; 550 5.1.1 mailbox unknown"},
		"report, null sender":  {"", dsn, conv1 + " m3 failed smtp; 550 5.1.1 mailbox unknown"},
		"plain, null sender":   {"", plain, conv1 + " m3 failed the recipient's mail server returned the message"},
	} {
		t.Run(name, func(t *testing.T) {
			r := &fakeRouter{}
			s := start(t, r)
			if err := send(t, s.Addr(), c.from, []string{entryPoint}, c.raw); err != nil {
				t.Fatalf("a bounce is accepted: %v", err)
			}
			if len(r.got()) != 0 {
				t.Fatalf("a bounce was routed as a reply: %+v", r.got())
			}
			if got := r.gotStatuses(); len(got) != 1 || got[0] != c.want {
				t.Fatalf("statuses %q, want [%q]", got, c.want)
			}
		})
	}
}

// An out-of-office reply comes from the null sender too (RFC 3834): it goes
// to the router marked as automatic, which joins it to an open conversation
// only. A bounce that names none of the service's messages, from the null
// sender or from a mail system's mailbox, is accepted and dropped.
func TestAutoReplyIsMarkedAndAStrayBounceDropped(t *testing.T) {
	r := &fakeRouter{}
	s := start(t, r)
	ooo := "From: " + customer + "\nTo: " + entryPoint + "\nSubject: Out of office\nAuto-Submitted: auto-replied\nIn-Reply-To: <" + id1 + ">\n\nBack on Monday.\n"
	if err := send(t, s.Addr(), "", []string{entryPoint}, ooo); err != nil {
		t.Fatal(err)
	}
	if m := only(t, r); m.Thread != conv1 || m.From != customer || !m.Auto {
		t.Fatalf("auto-reply routed as %+v", m)
	}
	for _, stray := range []struct{ envelope, from string }{{"", "MAILER-DAEMON@mx.example"}, {"bounces@mx.example", "Mail Delivery System <Mailer-Daemon@mx.example>"}} {
		raw := "From: " + stray.from + "\nTo: " + entryPoint + "\nSubject: failure\n\nSomething bounced.\n"
		if err := send(t, s.Addr(), stray.envelope, []string{entryPoint}, raw); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.got()) != 1 || len(r.gotStatuses()) != 0 {
		t.Fatalf("a stray bounce was routed (%d calls) or recorded (%q)", len(r.got()), r.gotStatuses())
	}
}

// Each way a responder marks its answer automatic; a person's mail is not.
func TestAutoReplyHeaders(t *testing.T) {
	for header, auto := range map[string]bool{
		"Auto-Submitted: auto-replied": true, "Auto-Submitted: auto-generated": true, "Precedence: bulk": true,
		"Precedence: auto_reply": true, "X-Autoreply: yes": true, "X-Autorespond: on": true,
		"Auto-Submitted: no": false, "Precedence: first-class": false, "X-Mailer: Outlook": false,
	} {
		m, err := mailin.Parse([]byte("From: "+customer+"\n"+header+"\nSubject: hi\n\nhello\n"), customer)
		if err != nil || m.AutoReply != auto || m.Bounced {
			t.Errorf("%s: auto %v bounced %v (%v), want auto %v", header, m.AutoReply, m.Bounced, err, auto)
		}
	}
}
