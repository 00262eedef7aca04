package cluster

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// secrets are generated into DIR/secrets on first start, one file each,
// readable by the owner only. Processes get them through *_FILE settings or
// their environment, never their arguments.
type secrets struct {
	dir string
	// Files.
	IDKey, CodecKeys, CodecToken, PostgresPassword, SMSAuthToken, DesktopSessionKey string
}

func loadSecrets(dir string) (*secrets, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &secrets{dir: dir}
	for _, x := range []struct {
		file *string
		name string
		make func() string
	}{
		{&s.IDKey, "id-key", func() string { return randomText(32) }},
		{&s.CodecKeys, "codec-keys", func() string { return "k1:" + base64.StdEncoding.EncodeToString(randomBytes(32)) }},
		{&s.CodecToken, "codec-token", func() string { return randomText(32) }},
		{&s.PostgresPassword, "postgres-password", func() string { return randomText(24) }},
		{&s.SMSAuthToken, "sms-auth-token", func() string { return randomText(24) }},
		{&s.DesktopSessionKey, "desktop-session-key", func() string { return randomText(48) }},
	} {
		*x.file = filepath.Join(dir, x.name)
		if _, err := os.Stat(*x.file); errors.Is(err, os.ErrNotExist) {
			if err := os.WriteFile(*x.file, []byte(x.make()+"\n"), 0o600); err != nil {
				return nil, err
			}
		} else if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// read returns a secret file's value without its newline.
func read(file string) (string, error) {
	b, err := os.ReadFile(file)
	return strings.TrimSpace(string(b)), err
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return b
}

// randomText is n random bytes as URL-safe base64: fine in a URL, a YAML
// value or a PostgreSQL connection string.
func randomText(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }
