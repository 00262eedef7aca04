package directory

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// --directory is read only if it is a regular file within the size bound:
// a FIFO hung the worker (SIGTERM ignored), /dev/zero ran it out of memory,
// and a 200 MB file was read whole before the 4 MiB check.
func TestLoadReadsRegularFilesWithinTheBoundOnly(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.yaml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(200 << 20); err != nil { // sparse: 200 MB, nothing written
		t.Fatal(err)
	}
	f.Close()
	for path, want := range map[string]string{
		fifo:        "not a regular file",
		"/dev/zero": "not a regular file",
		dir:         "not a regular file",
		huge:        "204800 KiB; a directory file may have at most 4096 KiB",
	} {
		done := make(chan error, 1)
		go func() { _, err := Load(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
				t.Errorf("Load(%s) = %v, want an error naming the file and %q", path, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Load(%s) still reading after 5s", path)
		}
	}
}

// Two tenants naming one entry-point address (in any spelling) are refused
// together: a customer's reply to it would land in whichever tenant is
// looked at first. The error names both files, tenants and the address.
func TestCheckTogetherRefusesAnAddressOfTwoTenants(t *testing.T) {
	a, err := Parse("acme.yaml", []byte(strings.Replace(validYAML, "tenant: t1", "tenant: acme", 1)))
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(validYAML, "tenant: t1", "tenant: globex", 1)
	other = strings.Replace(other, `address: "+14155550100"`, `address: "+1 (415) 555-0100"`, 1)
	g, err := Parse("globex.yaml", []byte(other))
	if err != nil {
		t.Fatal(err)
	}
	err = CheckTogether(map[string]*Directory{"acme.yaml": a, "globex.yaml": g})
	if err == nil {
		t.Fatal("two tenants with one SMS address were accepted")
	}
	for _, want := range []string{"acme.yaml", "globex.yaml", `"acme"`, `"globex"`, "+14155550100"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %s: %v", want, err)
		}
	}
	distinct := strings.Replace(other, `"+1 (415) 555-0100"`, `"+14155550999"`, 1)
	if g, err = Parse("globex.yaml", []byte(distinct)); err != nil {
		t.Fatal(err)
	}
	if err := CheckTogether(map[string]*Directory{"acme.yaml": a, "globex.yaml": g}); err != nil {
		t.Errorf("tenants with their own addresses: %v", err)
	}
}
