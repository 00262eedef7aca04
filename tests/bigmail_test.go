package tests

import (
	"bytes"
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"testing"
)

// An email the service cannot take for its size is refused for good (5xx),
// never "try again later" (4xx): the sender's MTA would retry it for days.
// (Issue 12, finding 2: 3 MB and 9 MB of text got 451.)
func TestOversizedEmailIsAPermanentFailure(t *testing.T) {
	c := env.Tenant(t)
	for _, size := range []int{3 << 20, 9 << 20} {
		var body bytes.Buffer
		fmt.Fprintf(&body, "From: %s\r\nSubject: big %d\r\n\r\n", newEmail(), size)
		line := append(bytes.Repeat([]byte("F"), 998), "\r\n"...)
		for body.Len() < size {
			body.Write(line)
		}
		err := smtp.SendMail(env.MailinAddr, nil, "big@example.com", []string{entryAddress(c, "ep-email")}, body.Bytes())
		var reply *textproto.Error
		if !errors.As(err, &reply) || reply.Code < 500 {
			t.Errorf("%d bytes: %v, want a 5xx reply", size, err)
		}
	}
}
