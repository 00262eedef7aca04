package codec

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Environment variables that hold the payload keys: either the keys
// themselves, "id1:base64key,id2:base64key" (the first one is current), or the
// path of a file with one "id:base64key" per line (the first one is current;
// blank lines and lines starting with '#' are skipped). Set one, not both.
const (
	KeysEnv     = "OUTBOUND_CODEC_KEYS"
	KeysFileEnv = "OUTBOUND_CODEC_KEYS_FILE"
)

// DevKeyID names the fixed development key FromEnv returns when neither
// variable is set. It protects nothing: its bytes are in this source file.
const DevKeyID = "dev"

// KeySize is the only accepted key length: AES-256.
const KeySize = 32

// Keys are the AES-256 keys payloads are encrypted with, by id. Current
// encrypts new payloads; every key decrypts the payloads that name its id, so
// a key can be rotated by making a new one current while the old one stays
// listed until no retained history needs it.
//
// Keys never prints key material: String lists only the ids.
type Keys struct {
	Current string
	byID    map[string][]byte
}

// NewKeys builds a key set; current must be one of byID, every key 32 bytes.
func NewKeys(current string, byID map[string][]byte) (*Keys, error) {
	k := &Keys{Current: current, byID: make(map[string][]byte, len(byID))}
	for id, key := range byID {
		if err := checkID(id); err != nil {
			return nil, err
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("codec: key %q is %d bytes, want %d (AES-256)", id, len(key), KeySize)
		}
		k.byID[id] = slices.Clone(key)
	}
	if _, ok := k.byID[current]; !ok {
		return nil, fmt.Errorf("codec: current key %q is not among the keys", current)
	}
	return k, nil
}

// DevKeys is the fixed key set of development and tests (id "dev").
func DevKeys() *Keys {
	key := sha256.Sum256([]byte("outbound: dev-only payload key, protects nothing"))
	return &Keys{Current: DevKeyID, byID: map[string][]byte{DevKeyID: key[:]}}
}

// Dev reports whether these are the development keys.
func (k *Keys) Dev() bool {
	return k.Current == DevKeyID && len(k.byID) == 1 && string(k.byID[DevKeyID]) == string(DevKeys().byID[DevKeyID])
}

// IDs lists the key ids, current first.
func (k *Keys) IDs() []string {
	ids := make([]string, 0, len(k.byID))
	for id := range k.byID {
		if id != k.Current {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return append([]string{k.Current}, ids...)
}

// String names the keys without their material, e.g. "codec keys k2 (current), k1".
func (k Keys) String() string {
	ids := (&k).IDs()
	return "codec keys " + ids[0] + " (current)" + strings.Join(append([]string{""}, ids[1:]...), ", ")
}

// GoString keeps %#v from printing key material too.
func (k Keys) GoString() string { return k.String() }

// key returns the key named id.
func (k *Keys) key(id string) ([]byte, bool) {
	key, ok := k.byID[id]
	return key, ok
}

// ParseKeys reads "id1:base64key,id2:base64key" (commas or newlines between
// entries; the first entry is current). Keys are standard or URL-safe base64,
// padded or not, and must decode to 32 bytes.
func ParseKeys(spec string) (*Keys, error) {
	entries := strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
	var current string
	byID := map[string][]byte{}
	for n, entry := range entries {
		entry = strings.TrimSpace(entry)
		if entry == "" || strings.HasPrefix(entry, "#") {
			continue
		}
		id, encoded, ok := strings.Cut(entry, ":")
		id, encoded = strings.TrimSpace(id), strings.TrimSpace(encoded)
		if !ok || id == "" || encoded == "" {
			// Never echo the entry: it may hold a key.
			return nil, fmt.Errorf("codec: entry %d is not id:base64key", n+1)
		}
		if err := checkID(id); err != nil {
			return nil, err
		}
		if _, dup := byID[id]; dup {
			return nil, fmt.Errorf("codec: key id %q is listed twice", id)
		}
		key, err := decodeKey(encoded)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", id, err)
		}
		if current == "" {
			current = id
		}
		byID[id] = key
	}
	if current == "" {
		return nil, errors.New("codec: no keys")
	}
	return NewKeys(current, byID)
}

// LoadFile reads keys from a file, one "id:base64key" per line, first current.
func LoadFile(path string) (*Keys, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("codec: read keys: %w", err)
	}
	k, err := ParseKeys(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// FromEnv loads the keys from OUTBOUND_CODEC_KEYS or OUTBOUND_CODEC_KEYS_FILE,
// and returns DevKeys when neither is set. Production must set one: see Dev.
func FromEnv() (*Keys, error) {
	spec, file := os.Getenv(KeysEnv), os.Getenv(KeysFileEnv)
	switch {
	case spec != "" && file != "":
		return nil, fmt.Errorf("codec: set %s or %s, not both", KeysEnv, KeysFileEnv)
	case spec != "":
		k, err := ParseKeys(spec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", KeysEnv, err)
		}
		return k, nil
	case file != "":
		return LoadFile(file)
	}
	return DevKeys(), nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil {
			if len(key) != KeySize {
				return nil, fmt.Errorf("%d bytes, want %d (AES-256)", len(key), KeySize)
			}
			return key, nil
		}
	}
	return nil, errors.New("not valid base64")
}

func checkID(id string) error {
	if id == "" || strings.ContainsAny(id, ":, \t\r\n") {
		return fmt.Errorf("codec: key id %q: must be non-empty, without spaces, commas or colons", id)
	}
	return nil
}
