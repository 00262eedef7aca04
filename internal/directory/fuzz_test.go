package directory

import "testing"

// FuzzParse: no tenant file, however malformed, makes loading panic or hang;
// one that loads has passed validation (a tenant, a default reason among
// the reasons).
func FuzzParse(f *testing.F) {
	f.Add([]byte(validYAML))
	f.Add([]byte("tenant: t\nflows: [{id: a, event: task-ended}, b]\n"))
	f.Add([]byte("tenant: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		if d.Tenant == "" || d.TransferOfferTimeout <= 0 {
			t.Fatalf("a directory without a tenant or an offer timeout loaded: %+v", d)
		}
	})
}
