// Package delivery classifies channel-delivery failures as permanent or
// transient, so activity code can decide whether a retry can ever succeed
// (e.g. map permanent failures to non-retryable Temporal errors).
package delivery

import "errors"

// PermanentError marks a failure that will not go away by retrying the same
// request: a rejected address, an SMTP 5xx reply, a Twilio 4xx validation
// error. Only the pointer type implements error, so errors.As has exactly one
// shape to look for.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "permanent delivery failure"
	}
	return e.Err.Error()
}

// Unwrap keeps the cause reachable, e.g. errors.As(err, &*sms.APIError).
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as permanent. nil stays nil so call sites can write
// `return delivery.Permanent(err)` unconditionally; an already permanent error
// is returned as is rather than wrapped twice.
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether any error in err's chain is a *PermanentError.
// Everything else — timeouts, refused connections, 4xx SMTP replies, HTTP
// 5xx/408/429 — is transient by default, because wrongly giving up loses a
// message while wrongly retrying is made harmless by idempotency keys.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
