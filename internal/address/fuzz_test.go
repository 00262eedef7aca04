package address

import (
	"testing"

	"outbound/internal/model"
)

// FuzzNormalize: no address makes normalising panic, and a normalised
// address is its own normal form (so it hashes to the same workflow ID).
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+1 415 555 0199", "(415) 555-0199", "+90 532 123 45 67", "Ada <Ada@Example.COM>", "a@b", "+", "１２３"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, ch := range []model.Channel{model.SMS, model.Email} {
			n, err := Normalize(ch, raw)
			if err != nil {
				continue
			}
			if again, err := Normalize(ch, n); err != nil || again != n {
				t.Fatalf("%s %q → %q → %q, %v", ch, raw, n, again, err)
			}
		}
		_, _, _ = NormalizeSender(raw, "US")
	})
}
