package sms_test

import (
	"net/url"
	"testing"

	"outbound/internal/sms"
)

// Twilio's published request-validation example (their docs and the test
// suites of their official libraries): auth token 12345, this URL and these
// POST parameters give this signature.
const (
	exampleToken = "12345"
	exampleURL   = "https://mycompany.com/myapp.php?foo=1&bar=2"
	exampleSig   = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
)

func exampleParams() url.Values {
	// Deliberately not in alphabetical order.
	return url.Values{
		"To":      {"+18005551212"},
		"CallSid": {"CA1234567890ABCDE"},
		"From":    {"+14158675309"},
		"Digits":  {"1234"},
		"Caller":  {"+14158675309"},
	}
}

func TestSignatureMatchesTwilioExample(t *testing.T) {
	if got := sms.Signature(exampleToken, exampleURL, exampleParams()); got != exampleSig {
		t.Fatalf("Signature = %q, want Twilio's %q", got, exampleSig)
	}
	if !sms.ValidSignature(exampleToken, exampleURL, exampleParams(), exampleSig) {
		t.Fatal("Twilio's example does not validate")
	}
}

func TestSignatureRepeatedParameter(t *testing.T) {
	// Vector from the test suites of Twilio's libraries: a name sent several
	// times contributes each distinct value once, values sorted.
	params := url.Values{
		"Sid":        {"CA123"},
		"SidAccount": {"AC123"},
		"Digits":     {"5678", "1234", "1234"},
	}
	const want = "IK+Dwps556ElfBT0I3Rgjkr1wJU="
	if got := sms.Signature(exampleToken, exampleURL, params); got != want {
		t.Fatalf("Signature = %q, want Twilio's %q", got, want)
	}
	if params["Digits"][0] != "5678" || len(params["Digits"]) != 3 {
		t.Fatal("Signature modified the caller's values")
	}
}

func TestSignatureRoundTripAndTamper(t *testing.T) {
	const token = "dev-sms-token"
	const u = "http://127.0.0.1:8080/webhooks/sms/status?conversation=c%2F1&message=m3"
	params := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}, "Body": {"Merhaba ş €"}}
	sig := sms.Signature(token, u, params)
	if !sms.ValidSignature(token, u, params, sig) {
		t.Fatal("own signature does not validate")
	}
	with := func(k, v string) url.Values {
		p := url.Values{}
		for name, vs := range params {
			p[name] = append([]string(nil), vs...)
		}
		p.Set(k, v)
		return p
	}
	cases := map[string]struct {
		token, url string
		params     url.Values
		sig        string
	}{
		"other token":       {"other", u, params, sig},
		"other host":        {token, "http://127.0.0.1:8081/webhooks/sms/status?conversation=c%2F1&message=m3", params, sig},
		"other query":       {token, "http://127.0.0.1:8080/webhooks/sms/status?conversation=c%2F1&message=m4", params, sig},
		"changed value":     {token, u, with("MessageStatus", "failed"), sig},
		"added parameter":   {token, u, with("ErrorCode", "30003"), sig},
		"removed parameter": {token, u, url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}}, sig},
		"truncated":         {token, u, params, sig[:len(sig)-2]},
		"empty signature":   {token, u, params, ""},
		"empty token":       {"", u, params, sms.Signature("", u, params)},
	}
	for name, c := range cases {
		if sms.ValidSignature(c.token, c.url, c.params, c.sig) {
			t.Errorf("%s: validated", name)
		}
	}
}
