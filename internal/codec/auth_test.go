package codec

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

const (
	uiOrigin = "http://ui.example:8233"
	issuer   = "https://idp.example"
	audience = "temporal-ui"
)

// signed is an RS256 JWT of claims.
func signed(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// Without credentials the endpoint decrypts nothing (401); with the token
// from the file, or with an access token of the UI's provider for the UI's
// audience, it does. CORS answers the configured UI origin only.
func TestHandlerAuthorizes(t *testing.T) {
	keys := mustParse(t, "k1:"+b64(newKey(t)))
	enc, err := mustCodec(t, keys).Encode(samplePayloads(t))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	idp, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	verifier := oidc.NewVerifier(issuer, &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&idp.PublicKey}}, &oidc.Config{ClientID: audience})
	claims := func(aud string, exp time.Duration) map[string]any {
		return map[string]any{"iss": issuer, "aud": aud, "sub": "ada", "exp": time.Now().Add(exp).Unix(), "iat": time.Now().Unix()}
	}
	decode := func(h http.Handler, authorization, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/decode", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	byToken := Handler(keys, BearerToken("s3cret-token"), uiOrigin)
	byAccess := Handler(keys, AccessToken(verifier), uiOrigin)
	for name, c := range map[string]struct {
		h             http.Handler
		authorization string
		want          int
	}{
		"no credentials":              {byToken, "", http.StatusUnauthorized},
		"wrong token":                 {byToken, "Bearer s3cret-tokem", http.StatusUnauthorized},
		"token as basic":              {byToken, "Basic s3cret-token", http.StatusUnauthorized},
		"the token":                   {byToken, "Bearer s3cret-token", http.StatusOK},
		"no access token":             {byAccess, "", http.StatusUnauthorized},
		"the UI's access token":       {byAccess, "Bearer " + signed(t, idp, claims(audience, time.Minute)), http.StatusOK},
		"expired":                     {byAccess, "Bearer " + signed(t, idp, claims(audience, -time.Minute)), http.StatusUnauthorized},
		"for another audience":        {byAccess, "Bearer " + signed(t, idp, claims("billing-app", time.Minute)), http.StatusUnauthorized},
		"signed by another key":       {byAccess, "Bearer " + signed(t, other, claims(audience, time.Minute)), http.StatusUnauthorized},
		"the static token, not a JWT": {byAccess, "Bearer s3cret-token", http.StatusUnauthorized},
	} {
		if got := decode(c.h, c.authorization, "").Code; got != c.want {
			t.Errorf("%s: %d, want %d", name, got, c.want)
		}
	}
	if rec := decode(byToken, "Bearer s3cret-token", uiOrigin); rec.Header().Get("Access-Control-Allow-Origin") != uiOrigin {
		t.Errorf("the UI's origin: Allow-Origin %q", rec.Header().Get("Access-Control-Allow-Origin"))
	}
	if rec := decode(byToken, "Bearer s3cret-token", "http://evil.example"); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin got Allow-Origin %q", rec.Header().Get("Access-Control-Allow-Origin"))
	}
	preflight := httptest.NewRequest(http.MethodOptions, "/decode", nil)
	preflight.Header.Set("Origin", uiOrigin)
	rec := httptest.NewRecorder()
	byToken.ServeHTTP(rec, preflight)
	if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Headers") == "" {
		t.Errorf("preflight, which carries no credentials: %d %v", rec.Code, rec.Header())
	}
}
