package stack

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Found: the dev desktop's session key was a constant in the source, so
// anyone could sign a cookie for any agent of any dev desktop. Each data
// directory has its own, kept across restarts, readable by its owner only.
func TestSessionKeyIsTheDataDirectorys(t *testing.T) {
	one, two := t.TempDir(), t.TempDir()
	a, err := sessionKey(one)
	if err != nil {
		t.Fatal(err)
	}
	again, err := sessionKey(one)
	if err != nil || !bytes.Equal(a, again) {
		t.Fatalf("the key changed across a restart: %v", err)
	}
	b, err := sessionKey(two)
	if err != nil || bytes.Equal(a, b) || len(a) < 32 {
		t.Fatalf("two data directories: keys of %d and %d bytes, equal %v (%v)", len(a), len(b), bytes.Equal(a, b), err)
	}
	info, err := os.Stat(filepath.Join(one, "desktop-session.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", info, err)
	}
}
