package address

import (
	"net/mail"
	"strings"

	"outbound/internal/codes"
)

func normalizeEmail(raw string) (string, error) {
	parsed, err := mail.ParseAddress(raw)
	if err != nil {
		return "", codes.New(codes.InvalidAddress, "the address is not an email address: %v", err)
	}
	at := strings.LastIndexByte(parsed.Address, '@')
	if at <= 0 {
		return "", codes.New(codes.InvalidAddress, "the address is not an email address: missing local part")
	}
	// Domains are case-insensitive; the local part may not be, so it is kept.
	normalized := parsed.Address[:at] + "@" + strings.ToLower(parsed.Address[at+1:])
	// net/mail unquotes a quoted local part ("a b"@x → a b@x), which would no
	// longer be a usable address; such rare addresses are refused instead.
	if _, err := mail.ParseAddress(normalized); err != nil {
		return "", codes.New(codes.InvalidAddress, "the address is not supported: quoted local parts are not accepted")
	}
	return normalized, nil
}
