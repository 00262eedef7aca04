package address

import (
	"testing"

	"outbound/internal/codes"
	"outbound/internal/model"
)

func TestNormalizeAccepts(t *testing.T) {
	tests := []struct {
		ch   model.Channel
		raw  string
		want string
	}{
		{model.SMS, "+14155550100", "+14155550100"},
		{model.SMS, " +1 (415) 555-0100 ", "+14155550100"},
		{model.SMS, "+44 7911 123456", "+447911123456"},
		{model.SMS, "+33612345678", "+33612345678"},
		{model.Email, "jane.doe@example.com", "jane.doe@example.com"},
		{model.Email, "Jane <Jane.Doe@Example.COM>", "Jane.Doe@example.com"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.ch, tt.raw)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%s, %q) = %q, %v; want %q", tt.ch, tt.raw, got, err, tt.want)
		}
	}
}

func TestNormalizeRefuses(t *testing.T) {
	tests := []struct {
		name string
		ch   model.Channel
		raw  string
	}{
		{"no plus", model.SMS, "14155550100"},
		{"too short", model.SMS, "+1415555010"},
		{"UK fixed line", model.SMS, "+442071838750"},
		{"US toll free", model.SMS, "+18005550199"},
		{"vanity letters", model.SMS, "+1-800-FLOWERS"},
		{"extension", model.SMS, "+14155550100 ext 5"},
		{"email on sms", model.SMS, "jane@example.com"},
		{"no at", model.Email, "jane.example.com"},
		{"two addresses", model.Email, "a@example.com, b@example.com"},
		{"header injection", model.Email, "a@example.com\r\nBcc: b@example.com"},
		{"quoted local part", model.Email, `"a b"@example.com`},
		{"unknown channel", model.Channel("fax"), "+14155550100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.ch, tt.raw)
			if !codes.Is(err, codes.InvalidAddress) {
				t.Fatalf("Normalize(%s, %q) = %q, %v; want INVALID_ADDRESS", tt.ch, tt.raw, got, err)
			}
		})
	}
}

func TestKey(t *testing.T) {
	const addr = "+14155550100"
	k1 := Key([]byte("secret-one"), addr)
	if len(k1) != 32 {
		t.Fatalf("key %q has %d chars, want 32", k1, len(k1))
	}
	if again := Key([]byte("secret-one"), addr); again != k1 {
		t.Errorf("same secret and address gave %q then %q", k1, again)
	}
	if other := Key([]byte("secret-two"), addr); other == k1 {
		t.Errorf("different secrets gave the same key %q", k1)
	}
	if other := Key([]byte("secret-one"), "+14155550101"); other == k1 {
		t.Errorf("different addresses gave the same key %q", k1)
	}
	for _, r := range k1 {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			t.Fatalf("key %q is not lowercase hex", k1)
		}
	}
}

// docs/rules.md §3: an entry point sends from any valid number, a short code of a
// country, or an alphanumeric sender ID.
func TestNormalizeSender(t *testing.T) {
	tests := []struct {
		raw, country string
		want         string
		kind         SenderKind
	}{
		{"+1 800 234 5678", "", "+18002345678", SenderNumber},
		{"+44 20 7183 8750", "", "+442071838750", SenderNumber},
		{"+14155550100", "", "+14155550100", SenderNumber},
		{"12345", "US", "12345", SenderShortCode},
		{" 604 ", "GB", "604", SenderShortCode},
		{"AcmeCo", "", "AcmeCo", SenderAlphanumeric},
		{"Acme Shop 1", "", "Acme Shop 1", SenderAlphanumeric},
	}
	for _, tt := range tests {
		got, kind, err := NormalizeSender(tt.raw, tt.country)
		if err != nil || got != tt.want || kind != tt.kind {
			t.Errorf("NormalizeSender(%q, %q) = %q, %s, %v; want %q, %s", tt.raw, tt.country, got, kind, err, tt.want, tt.kind)
		}
	}
	for _, bad := range []struct{ raw, country string }{
		{"+1415555010", ""},    // too short to be valid
		{"+1-800-FLOWERS", ""}, // letters in a number
		{"12345", ""},          // a short code without its country
		{"12345", "XX"},        // no such country
		{"12", "US"},           // too short for a short code
		{"123456789", "US"},    // too long
		{"+14155550100", "US"}, // a country on a number
		{"Acme Support", ""},   // 12 characters
		{"12 34", ""},          // no letter
		{"Acme-Co", ""},        // a character senders cannot have
		{"", ""},
	} {
		if got, _, err := NormalizeSender(bad.raw, bad.country); !codes.Is(err, codes.InvalidAddress) {
			t.Errorf("NormalizeSender(%q, %q) = %q, %v; want INVALID_ADDRESS", bad.raw, bad.country, got, err)
		}
	}
}

// An inbound SMS's To is a number or a short code; nothing else routes.
func TestSMSDestination(t *testing.T) {
	for raw, want := range map[string]string{"+18002345678": "+18002345678", "+44 20 7183 8750": "+442071838750", "12345": "12345"} {
		if got, ok := SMSDestination(raw); !ok || got != want {
			t.Errorf("SMSDestination(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{"AcmeCo", "12", "+1415555010", ""} {
		if got, ok := SMSDestination(raw); ok {
			t.Errorf("SMSDestination(%q) = %q, want no destination", raw, got)
		}
	}
}
