package mailin

import (
	"bytes"
	"context"
	"net"
	"net/mail"
	"strings"
	"testing"
)

// FuzzParse: no inbound mail, however malformed, makes the parser panic or
// hang, and whatever HTML it keeps carries no script.
func FuzzParse(f *testing.F) {
	f.Add([]byte("From: Ada <ada@example.com>\r\nSubject: Re: parcel\r\nMessage-ID: <x@y>\r\nIn-Reply-To: <m1.c@acme.example>\r\n\r\nThanks!\r\n> quoted"), "ada@example.com")
	f.Add([]byte("From: a@example.com\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>hi<script>x</script></p>\r\n--b--\r\n"), "")
	f.Add([]byte("From: <>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n--r\r\n\r\nfailed\r\n--r--\r\n"), "")
	f.Add([]byte("Subject: =?utf-8?B?w7w=?=\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=BC=\r\n"), "x@example.com")
	f.Fuzz(func(t *testing.T, raw []byte, from string) {
		m, err := Parse(raw, from)
		if err != nil {
			return
		}
		if strings.Contains(strings.ToLower(m.HTML), "<script") {
			t.Fatalf("kept a script: %q", m.HTML)
		}
	})
}

// FuzzAuthenticate: no message, however its DKIM-Signature or
// Authentication-Results headers are written, makes sender authentication
// panic, hang or pass without a key or a trusted verdict.
func FuzzAuthenticate(f *testing.F) {
	f.Add([]byte("DKIM-Signature: v=1; a=ed25519-sha256; d=example.com; s=s; h=from; bh=x; b=y\r\nFrom: <a@example.com>\r\n\r\nhi\r\n"), "a@example.com")
	f.Add([]byte("Authentication-Results: mx.acme.test; dmarc=fail header.from=example.com\r\nAuthentication-Results: evil.example; dmarc=pass\r\nFrom: a@example.com\r\n\r\nhi\r\n"), "a@example.com")
	f.Add([]byte("Authentication-Results: mx.acme.test; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=x@evil.example\r\n\r\n"), "a@example.com")
	f.Fuzz(func(t *testing.T, raw []byte, from string) {
		header := mail.Header{}
		if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
			header = m.Header
		}
		env := Envelope{IP: net.ParseIP("192.0.2.9"), MailFrom: from}
		if pass, reason := (Verify{Resolver: txtRecords{}}).Authenticate(context.Background(), raw, header, from, env); pass {
			t.Fatalf("verified with no key or SPF record published: %s", reason)
		}
		pass, reason := TrustRelay{AuthservID: "mx.acme.test"}.Authenticate(context.Background(), raw, header, from, env)
		if pass && !strings.Contains(strings.ToLower(strings.Join(header["Authentication-Results"], "\n")), "mx.acme.test") {
			t.Fatalf("passed with no verdict of the relay: %s", reason)
		}
	})
}
