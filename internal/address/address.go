// Package address normalizes customer addresses (E.164 mobile numbers, email
// addresses) so the same customer always yields the same string, and derives
// keys from them that keep customer PII out of workflow IDs.
package address

import (
	"strings"

	"outbound/internal/codes"
	"outbound/internal/model"
)

// Normalize returns the canonical form of raw for the channel: E.164 for SMS,
// the bare address with a lower-cased domain for email. A refusal carries
// INVALID_ADDRESS; its message may quote raw, so callers must not log it.
func Normalize(ch model.Channel, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	switch ch {
	case model.SMS:
		return normalizeMobile(raw)
	case model.Email:
		return normalizeEmail(raw)
	}
	return "", codes.New(codes.InvalidAddress, "unknown channel %q", ch)
}
