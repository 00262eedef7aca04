package address

import (
	"strings"

	"github.com/nyaruka/phonenumbers"

	"outbound/internal/codes"
)

// phoneSeparators are the characters people write between digit groups; they
// are tolerated, whereas letters (vanity numbers) and extensions are not, since
// an SMS can only go to a plain subscriber number.
const phoneSeparators = " -().\u00a0"

// normalizeMobile accepts a customer's number: one that can receive SMS.
func normalizeMobile(raw string) (string, error) {
	num, err := parseNumber(raw)
	if err != nil {
		return "", err
	}
	if !canReceiveSMS(phonenumbers.GetNumberType(num)) {
		return "", codes.New(codes.InvalidAddress, "the address is not a mobile number")
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

func checkE164Characters(raw string) error {
	if !strings.HasPrefix(raw, "+") {
		// Without the country code the number's region would have to be guessed.
		return codes.New(codes.InvalidAddress, "the address is not an E.164 number: it must start with + and the country code")
	}
	for _, r := range raw[1:] {
		if (r < '0' || r > '9') && !strings.ContainsRune(phoneSeparators, r) {
			return codes.New(codes.InvalidAddress, "the address is not an E.164 number: unexpected character %q", r)
		}
	}
	return nil
}

// canReceiveSMS accepts mobile numbers, and the numbering plans (such as
// North America's) where mobile and fixed-line numbers are indistinguishable.
func canReceiveSMS(t phonenumbers.PhoneNumberType) bool {
	return t == phonenumbers.MOBILE || t == phonenumbers.FIXED_LINE_OR_MOBILE
}
