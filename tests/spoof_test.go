package tests

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/smtp"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/jhillyerd/enmime/v2"
	"go.uber.org/zap"

	"outbound/internal/address"
	"outbound/internal/api"
	"outbound/internal/conversations"
	"outbound/internal/mailin"
	"outbound/internal/model"
)

// fakeDNS answers TXT lookups from a map; anything else does not exist.
type fakeDNS map[string]string

func (f fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := f[strings.TrimSuffix(name, ".")]; ok {
		return []string{v}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (fakeDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (fakeDNS) LookupIPAddr(_ context.Context, name string) ([]net.IPAddr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (fakeDNS) LookupAddr(_ context.Context, name string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// receiver runs an inbound SMTP receiver with auth on the test's service.
func receiver(t *testing.T, auth mailin.Authenticator) string {
	t.Helper()
	s, err := mailin.Start("127.0.0.1:0", env.ClientFor(""), auth, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s.Addr()
}

// mailTo sends raw from mailFrom through addr and returns what Routed needs
// to find it.
func mailTo(t *testing.T, addr, mailFrom, raw string, c *conversations.Client, from, messageID string) conversations.InboundMessage {
	t.Helper()
	entry := entryAddress(c, "ep-email")
	if err := smtp.SendMail(addr, nil, mailFrom, []string{entry}, []byte(raw)); err != nil {
		t.Fatalf("send: %v", err)
	}
	return conversations.InboundMessage{Channel: model.Email, To: entry, From: from, CustomerMessage: model.CustomerMessage{ProviderID: messageID}}
}

func emailFrom(c *conversations.Client, from, messageID, extra, text string) string {
	return "From: <" + from + ">\r\nTo: <" + entryAddress(c, "ep-email") + ">\r\nSubject: About my order\r\nMessage-ID: <" + messageID + ">\r\n" +
		extra + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
}

// Anyone may write `From: the customer`. Verifying DKIM and SPF with DMARC
// alignment, the receiver lets only what the customer's domain vouches for
// join the open conversation by its From; a spoof is kept in the customer's
// record and the conversation shows that one came; threading by our own
// Message-ID still works, marked; with no open conversation a spoof opens a
// new one, marked. Behind a trusted relay, only that relay's
// Authentication-Results count. (Issue 12, finding 7.)
func TestSpoofedSendersNeverThreadByFrom(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dns := fakeDNS{
		"sel._domainkey.example.com": "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub),
		"example.com":                "v=spf1 ip4:192.0.2.1 -all", // not the test's loopback
	}
	verifying := receiver(t, mailin.Verify{Resolver: dns})
	customer := newEmail() // @example.com
	id := startEmail(t, c, customer, "Your order "+customer)
	if _, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: "Your order has shipped."}); err != nil {
		t.Fatal(err)
	}

	spoof := mailTo(t, verifying, "eve@evil.example", emailFrom(c, customer, "spoof1@evil.example", "", "Please send the refund to IBAN XX00"), c, customer, "spoof1@evil.example")
	if got, err := c.Routed(ctx, spoof); err != nil || got != id {
		t.Fatalf("the spoof: %q %v", got, err)
	}
	var signed bytes.Buffer
	raw := emailFrom(c, customer, "signed1@example.com", "", "Thanks, got it")
	if err := dkim.Sign(&signed, strings.NewReader(raw), &dkim.SignOptions{Domain: "example.com", Selector: "sel", Signer: key}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Routed(ctx, mailTo(t, verifying, customer, signed.String(), c, customer, "signed1@example.com")); err != nil || got != id {
		t.Fatalf("the signed email: %q %v", got, err)
	}
	threaded := emailFrom(c, customer, "spoof2@evil.example", "In-Reply-To: "+messageIDOf(t, customer)+"\r\n", "Replying in the thread")
	if got, err := c.Routed(ctx, mailTo(t, verifying, "eve@evil.example", threaded, c, customer, "spoof2@evil.example")); err != nil || got != id {
		t.Fatalf("the threaded spoof: %q %v", got, err)
	}

	st := show(t, c, id)
	var texts []string
	for _, m := range st.Messages[1:] {
		texts = append(texts, strings.TrimSpace(m.Text))
		if strings.Contains(m.Text, "IBAN") {
			t.Fatalf("the spoof joined the conversation by its From: %+v", m)
		}
	}
	if want := []string{"Thanks, got it", "Replying in the thread"}; !slices.Equal(texts, want) {
		t.Fatalf("transcript %q, want the signed email then the threaded one", texts)
	}
	if last := st.Messages[len(st.Messages)-1]; !last.Unauthenticated || st.Messages[len(st.Messages)-2].Unauthenticated {
		t.Fatal("want the threaded spoof marked unauthenticated and the signed email not")
	}
	if !slices.ContainsFunc(st.Events, func(e api.Event) bool { return e.Kind == "held" }) {
		t.Fatalf("the conversation does not show that an email was held: %+v", st.Events)
	}
	record, err := api.CustomerQuery.Get(ctx, env.Temporal, api.CustomerWorkflowID(c.Tenant, st.CustomerKey))
	if err != nil || len(record.Held) != 1 || !strings.Contains(record.Held[0].Text, "IBAN") || record.Held[0].Conversation != id {
		t.Fatalf("the customer's record must keep the spoof: %+v %v", record.Held, err)
	}

	// No open conversation: the spoof opens one, marked.
	other := newEmail()
	opened, err := c.Routed(ctx, mailTo(t, verifying, "eve@evil.example", emailFrom(c, other, "spoof3@evil.example", "", "Hello?"), c, other, "spoof3@evil.example"))
	if err != nil || opened == "" || !show(t, c, opened).Messages[0].Unauthenticated {
		t.Fatalf("a spoof with no open conversation: %q %v", opened, err)
	}

	// Behind a trusted relay: its Authentication-Results count, nobody else's.
	relayed := receiver(t, mailin.TrustRelay{AuthservID: "mx.acme.test"})
	third := newEmail()
	thirds := startEmail(t, c, third, "Your invoice "+third)
	for messageID, verdict := range map[string]string{"relay1@example.com": "mx.acme.test", "relay2@evil.example": "evil.example"} {
		raw := emailFrom(c, third, messageID, "Authentication-Results: "+verdict+"; dmarc=pass header.from=example.com\r\n", "Verdict of "+verdict)
		if _, err := c.Routed(ctx, mailTo(t, relayed, third, raw, c, third, messageID)); err != nil {
			t.Fatal(err)
		}
	}
	if msgs := show(t, c, thirds).Messages; len(msgs) != 1 || strings.TrimSpace(msgs[0].Text) != "Verdict of mx.acme.test" || msgs[0].Unauthenticated {
		t.Fatalf("behind the relay, want only the vouched email: %+v", msgs)
	}
	normalized, _ := address.Normalize(model.Email, third)
	record, err = api.CustomerQuery.Get(ctx, env.Temporal, api.CustomerWorkflowID(c.Tenant, address.Key(c.IDKey, normalized)))
	if err != nil || len(record.Held) != 1 || strings.TrimSpace(record.Held[0].Text) != "Verdict of evil.example" {
		t.Fatalf("the forged verdict must be held: %+v %v", record.Held, err)
	}
}

// messageIDOf is the Message-ID of the last email the service sent to.
func messageIDOf(t *testing.T, to string) string {
	t.Helper()
	sent, err := enmime.ReadEnvelope(strings.NewReader(findEmail(t, to)))
	if err != nil {
		t.Fatal(err)
	}
	return sent.GetHeader("Message-Id")
}
