package address

import (
	"strings"

	"github.com/nyaruka/phonenumbers"

	"outbound/internal/codes"
)

// SenderKind is what an SMS entry point sends from (docs/rules.md §3).
type SenderKind string

const (
	// SenderNumber is any valid E.164 number: mobile, a texting-enabled fixed
	// line, toll-free or VoIP.
	SenderNumber SenderKind = "number"
	// SenderShortCode is 3 to 8 digits, valid in one country.
	SenderShortCode SenderKind = "short code"
	// SenderAlphanumeric is a name of 1 to 11 letters, digits and spaces. It
	// sends only: nobody can reply to it.
	SenderAlphanumeric SenderKind = "alphanumeric sender ID"
)

// NormalizeSender returns the canonical form and the kind of an SMS entry
// point's address: E.164 for a number, the digits of a short code (whose
// country, ISO 3166 alpha-2 such as "US", it requires), or an alphanumeric
// sender ID as written. Country is for short codes only.
func NormalizeSender(raw, country string) (string, SenderKind, error) {
	raw = strings.TrimSpace(raw)
	switch {
	case strings.HasPrefix(raw, "+"):
		if country != "" {
			return "", "", codes.New(codes.InvalidAddress, "a country is declared for short codes only; an E.164 number holds its own")
		}
		num, err := parseE164(raw)
		return num, SenderNumber, err
	case isDigits(raw):
		return shortCode(raw, country)
	default:
		if country != "" {
			return "", "", codes.New(codes.InvalidAddress, "a country is declared for short codes only")
		}
		return raw, SenderAlphanumeric, checkAlphanumeric(raw)
	}
}

// SMSDestination is the canonical form of the To of an inbound SMS as a
// provider posts it: an E.164 number of any kind, or a short code's digits.
// ok is false for anything else, which no entry point receives.
func SMSDestination(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if isDigits(raw) && len(raw) >= 3 && len(raw) <= 8 {
		return raw, true
	}
	num, err := parseE164(raw)
	return num, err == nil
}

// parseE164 accepts a valid number of any kind, in E.164.
func parseE164(raw string) (string, error) {
	num, err := parseNumber(raw)
	if err != nil {
		return "", err
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// parseNumber parses a valid number written with its country code.
func parseNumber(raw string) (*phonenumbers.PhoneNumber, error) {
	if err := checkE164Characters(raw); err != nil {
		return nil, err
	}
	num, err := phonenumbers.Parse(raw, "")
	if err != nil {
		return nil, codes.New(codes.InvalidAddress, "the address is not a phone number: %v", err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return nil, codes.New(codes.InvalidAddress, "the address is not a valid phone number")
	}
	return num, nil
}

func shortCode(digits, country string) (string, SenderKind, error) {
	if len(digits) < 3 || len(digits) > 8 {
		return "", "", codes.New(codes.InvalidAddress, "a short code has 3 to 8 digits, not %d (a number needs + and its country code)", len(digits))
	}
	if country == "" {
		return "", "", codes.New(codes.InvalidAddress, "short code %s needs its country (country: US, for instance)", digits)
	}
	if phonenumbers.GetCountryCodeForRegion(country) == 0 {
		return "", "", codes.New(codes.InvalidAddress, "%q is not an ISO 3166 country code (US, GB, DE, ...)", country)
	}
	return digits, SenderShortCode, nil
}

func checkAlphanumeric(id string) error {
	letter := false
	for _, r := range id {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
			letter = true
		case r >= '0' && r <= '9', r == ' ':
		default:
			return codes.New(codes.InvalidAddress, "an alphanumeric sender ID holds letters, digits and spaces only, not %q", r)
		}
	}
	switch {
	case id == "" || len(id) > 11:
		return codes.New(codes.InvalidAddress, "an alphanumeric sender ID has 1 to 11 characters, not %d", len(id))
	case !letter:
		return codes.New(codes.InvalidAddress, "an alphanumeric sender ID holds at least one letter")
	}
	return nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
