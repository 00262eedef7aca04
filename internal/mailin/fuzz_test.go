package mailin

import (
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
