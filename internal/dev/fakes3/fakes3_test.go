package fakes3

import "testing"

func TestStartLoopbackOnly(t *testing.T) {
	if f, err := Start(t.TempDir(), "0.0.0.0:0"); err == nil {
		f.Close()
		t.Fatal("listening on all interfaces")
	}
}
