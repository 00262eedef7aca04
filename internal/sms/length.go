package sms

import "outbound/internal/codes"

// MaxSegments bounds one message: a longer body reaches the customer as too
// many parts to read as one.
const MaxSegments = 10

// CheckLength refuses a body over MaxSegments GSM-7 or UCS-2 segments.
func CheckLength(body string) error {
	if n := Segments(body); n > MaxSegments {
		return codes.New(codes.MessageTooLong, "the message needs %d SMS segments; at most %d are allowed", n, MaxSegments)
	}
	return nil
}
