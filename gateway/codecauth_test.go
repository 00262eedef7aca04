package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The codec endpoint does not start without credentials to ask for.
func TestCodecAuthFromEnv(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for name, c := range map[string]struct {
		env  map[string]string
		want string // in the error; "" for none
	}{
		"nothing":             {map[string]string{}, "set CODEC_OIDC_ISSUER and CODEC_OIDC_AUDIENCE"},
		"issuer, no audience": {map[string]string{"CODEC_OIDC_ISSUER": "https://idp.example"}, "CODEC_OIDC_AUDIENCE is not set"},
		"short token":         {map[string]string{"CODEC_TOKEN_FILE": write("short", "abc\n")}, "at least 16 characters"},
		"missing token file":  {map[string]string{"CODEC_TOKEN_FILE": filepath.Join(dir, "none")}, "CODEC_TOKEN_FILE"},
		"a token":             {map[string]string{"CODEC_TOKEN_FILE": write("ok", "0123456789abcdef\n")}, ""},
		"issuer and audience": {map[string]string{"CODEC_OIDC_ISSUER": "https://idp.example", "CODEC_OIDC_AUDIENCE": "temporal-ui"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{"CODEC_TOKEN_FILE", "CODEC_OIDC_ISSUER", "CODEC_OIDC_AUDIENCE"} {
				t.Setenv(k, c.env[k])
			}
			a, err := codecAuthFromEnv()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("err = %v, want %q", err, c.want)
			case c.want == "" && strings.Contains(a.String(), "0123456789abcdef"):
				t.Fatalf("the description shows the token: %s", a)
			}
		})
	}
}
