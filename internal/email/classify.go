package email

import (
	"net/textproto"

	mail "github.com/wneessen/go-mail"

	"outbound/internal/delivery"
)

// classify marks err permanent when the server refused with a 5xx reply and
// nothing in the chain says "try later" (a 4xx). Anything without an SMTP
// reply — refused connection, timeout, reset — stays transient.
func classify(err error) error {
	perm, temp := replyClasses(err)
	if perm && !temp {
		return delivery.Permanent(err)
	}
	return err
}

// replyClasses walks the whole error tree, because go-mail joins errors
// (EHLO then HELO failure, send then reset failure) and its SendError keeps
// the server reply only as a code, without Unwrap.
func replyClasses(err error) (perm, temp bool) {
	mark := func(code int) {
		switch code / 100 {
		case 5:
			perm = true
		case 4:
			temp = true
		}
	}
	var walk func(error)
	walk = func(e error) {
		switch v := e.(type) {
		case nil:
			return
		case *mail.SendError:
			mark(v.ErrorCode())
		case *textproto.Error:
			mark(v.Code)
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				walk(inner)
			}
		}
	}
	walk(err)
	return perm, temp
}
