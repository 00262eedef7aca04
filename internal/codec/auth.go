package codec

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Authorizer decides whether a request may use the codec endpoint, which
// decrypts every payload it is given: nil lets it through.
type Authorizer func(r *http.Request) error

var errNoCredentials = errors.New("the codec endpoint needs Authorization: Bearer <token>")

// Open lets in whoever reaches the endpoint: for `go run ./dev` on loopback.
func Open(*http.Request) error { return nil }

// BearerToken lets in a request whose Authorization header carries token:
// for the CLI (`temporal --codec-auth "Bearer …"`) and a Web UI without
// sign-in behind a proxy that adds it.
func BearerToken(token string) Authorizer {
	want := []byte(token)
	return func(r *http.Request) error {
		got, ok := bearer(r)
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			return errNoCredentials
		}
		return nil
	}
}

// AccessToken lets in a request whose bearer token the verifier accepts:
// the access token the Web UI forwards for its signed-in user
// (TEMPORAL_CODEC_PASS_ACCESS_TOKEN), a JWT of the UI's OpenID Connect
// provider, checked for its issuer, audience, expiry and signature.
func AccessToken(v *oidc.IDTokenVerifier) Authorizer {
	return func(r *http.Request) error {
		token, ok := bearer(r)
		if !ok {
			return errNoCredentials
		}
		_, err := v.Verify(r.Context(), token)
		return err
	}
}

func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.TrimSpace(token), ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) != ""
}

// AnyOf lets in a request one of checks lets in.
func AnyOf(checks ...Authorizer) Authorizer {
	return func(r *http.Request) error {
		err := errNoCredentials
		for _, check := range checks {
			if err = check(r); err == nil {
				return nil
			}
		}
		return err
	}
}
