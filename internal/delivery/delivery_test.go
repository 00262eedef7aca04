package delivery

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestPermanent(t *testing.T) {
	if Permanent(nil) != nil {
		t.Fatal("Permanent(nil) must be nil")
	}
	if IsPermanent(nil) {
		t.Fatal("nil is not permanent")
	}
	if IsPermanent(io.EOF) {
		t.Fatal("plain error is not permanent")
	}

	p := Permanent(io.EOF)
	if !IsPermanent(p) {
		t.Fatal("Permanent(err) must be permanent")
	}
	if !errors.Is(p, io.EOF) {
		t.Fatal("cause must stay reachable through Unwrap")
	}
	if p.Error() != io.EOF.Error() {
		t.Fatalf("message changed: %q", p.Error())
	}

	wrapped := fmt.Errorf("send: %w", p)
	if !IsPermanent(wrapped) {
		t.Fatal("wrapping must not hide permanence")
	}
	if again := Permanent(wrapped); again != wrapped {
		t.Fatal("an already permanent error must not be wrapped twice")
	}
}
