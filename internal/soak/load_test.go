package soak

import (
	"fmt"
	"testing"

	"outbound/internal/address"
	"outbound/internal/model"
)

// Every customer number the load makes is one the product takes: a soak run
// whose exchange began with 0 or 1 had every SMS start refused as
// INVALID_ADDRESS.
func TestPhonesAreValidNumbers(t *testing.T) {
	seen := map[string]bool{}
	for r := range 2000 {
		run := fmt.Sprintf("soak%d", 1796287856+r)
		p := phone(run, 7, 49)
		if _, err := address.Normalize(model.SMS, p); err != nil {
			t.Fatalf("run %s: %s: %v", run, p, err)
		}
		seen[p[:8]] = true
	}
	if len(seen) < 500 {
		t.Errorf("only %d exchanges over 2,000 runs", len(seen))
	}
}
