package address

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// keyBytes is how much of the HMAC is kept: 128 bits make collisions between
// customers practically impossible while keeping workflow IDs short.
const keyBytes = 16

// Key returns a stable pseudonym for a normalized address: the first 16 bytes
// of HMAC-SHA256 in lowercase hex (32 characters). It is keyed with a secret,
// not a plain hash, because phone numbers are few enough to be brute-forced
// from an unkeyed hash; workflow IDs built from it thus reveal no customer.
// The secret must be non-empty and the same for every process of a deployment.
func Key(secret []byte, normalized string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(normalized))
	return hex.EncodeToString(mac.Sum(nil)[:keyBytes])
}

// KeyEnv names the environment variable holding the secret for Key; the
// worker and every client of a deployment must share it.
const KeyEnv = "OUTBOUND_ID_KEY"

// DevKey is the secret the dev stack and the starter use when KeyEnv is unset.
// It protects nothing: production requires KeyEnv.
const DevKey = "dev-only-customer-id-key"
