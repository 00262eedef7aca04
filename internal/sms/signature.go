package sms

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"slices"
	"sort"
)

// SignatureHeader carries the provider's signature on every webhook it sends
// (inbound messages, status callbacks).
const SignatureHeader = "X-Twilio-Signature"

// Signature computes Twilio's request signature: base64 of HMAC-SHA1, keyed
// with the account's auth token, over the full URL the request was sent to
// (scheme, host, path and query string exactly as the provider used them)
// followed by every POST parameter's name and value, sorted by name. A name
// sent several times contributes each distinct value once, values sorted, as
// the provider's own validators do. Query parameters count through the URL only.
func Signature(authToken, fullURL string, params url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		values := slices.Clone(params[name])
		sort.Strings(values)
		for _, v := range slices.Compact(values) {
			mac.Write([]byte(name))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ValidSignature reports whether signature is the one Signature computes for
// this request, comparing in constant time. An empty token or signature never
// validates: an HMAC keyed with "" is one anybody can compute.
func ValidSignature(authToken, fullURL string, params url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	want := Signature(authToken, fullURL, params)
	return hmac.Equal([]byte(want), []byte(signature))
}
