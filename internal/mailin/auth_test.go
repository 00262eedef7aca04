package mailin

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/mail"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

type txtRecords map[string]string

func (r txtRecords) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := r[strings.TrimSuffix(name, ".")]; ok {
		return []string{v}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (txtRecords) LookupMX(context.Context, string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

func (txtRecords) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) {
	return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

func (txtRecords) LookupAddr(context.Context, string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

// DMARC-style alignment: a verified DKIM signature or an SPF pass counts only
// for the From's organisational domain.
func TestVerifyAlignment(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	record := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	dns := txtRecords{
		"s._domainkey.mail.example.com": record,
		"s._domainkey.evil.example":     record,
		"example.com":                   "v=spf1 ip4:192.0.2.7 -all",
	}
	raw := "From: <jane@example.com>\r\nSubject: hi\r\nMessage-ID: <1@example.com>\r\n\r\nhello\r\n"
	sign := func(domain string, k ed25519.PrivateKey) []byte {
		var b bytes.Buffer
		if err := dkim.Sign(&b, strings.NewReader(raw), &dkim.SignOptions{Domain: domain, Selector: "s", Signer: k}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	local := Envelope{IP: net.ParseIP("127.0.0.1"), HELO: "client.example"}
	for name, c := range map[string]struct {
		raw  []byte
		env  Envelope
		pass bool
	}{
		"dkim of a subdomain of the From's":   {sign("mail.example.com", key), local, true},
		"dkim of another domain":              {sign("evil.example", key), local, false},
		"dkim with a key not published":       {sign("mail.example.com", otherKey), local, false},
		"unsigned, spf passes for the From's": {[]byte(raw), Envelope{IP: net.ParseIP("192.0.2.7"), MailFrom: "bounce@example.com"}, true},
		"unsigned, spf fails":                 {[]byte(raw), Envelope{IP: net.ParseIP("192.0.2.8"), MailFrom: "bounce@example.com"}, false},
		"unsigned, another envelope domain":   {[]byte(raw), Envelope{IP: net.ParseIP("192.0.2.7"), MailFrom: "x@evil.example"}, false},
	} {
		if pass, reason := (Verify{Resolver: dns}).Authenticate(context.Background(), c.raw, mail.Header{}, "jane@example.com", c.env); pass != c.pass {
			t.Errorf("%s: pass %v (%s), want %v", name, pass, reason, c.pass)
		}
	}
}
