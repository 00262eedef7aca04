package directory

import (
	"fmt"
	"strings"
	"testing"
)

// withAgents is validYAML with n agents, all in queue q1, each name padded
// to nameBytes.
func withAgents(n, nameBytes int) string {
	var agents, ids strings.Builder
	for i := range n {
		fmt.Fprintf(&agents, "  - {id: a%d, name: %q, license: premium, profile: p1}\n", i, fmt.Sprintf("%-*d", nameBytes, i))
		if i > 0 {
			ids.WriteString(", ")
		}
		fmt.Fprintf(&ids, "a%d", i)
	}
	s := strings.Replace(validYAML, "  - {id: a1, name: A1, license: premium, profile: p1}\n", agents.String(), 1)
	return strings.Replace(s, "agents: [a1]", "agents: ["+ids.String()+"]", 1)
}

// A directory too big to publish is refused at load, naming the file, the
// field and the bound: 250,000 flows (the 3.9 MB file), a list of
// 10,001 agents, 1 MiB once published, 4 MiB of YAML.
func TestParseRefusesWhatCannotBePublished(t *testing.T) {
	flows := make([]string, 250000)
	for i := range flows {
		flows[i] = fmt.Sprintf("f%d", i)
	}
	for name, c := range map[string]struct{ yaml, want string }{
		"250,000 flows":  {strings.Replace(validYAML, "flows: [survey]", "flows: ["+strings.Join(flows, ", ")+"]", 1), "big.yaml: flows: 250000 entries; a directory may have at most 1000"},
		"10,001 agents":  {withAgents(10001, 1), "big.yaml: agents: 10001 entries; a directory may have at most 10000"},
		"1 MiB of names": {withAgents(5000, 200), "big.yaml: (the whole directory): 1"},
		"4 MiB of YAML":  {validYAML + "# " + strings.Repeat("x", MaxFileBytes) + "\n", "big.yaml: 4096 KiB; a directory file may have at most 4096 KiB"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("big.yaml", []byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %.300v, want %q", err, c.want)
			}
		})
	}
	// Thousands of agents are legitimate.
	d, err := Parse("ok.yaml", []byte(withAgents(5000, 1)))
	if err != nil {
		t.Fatalf("5,000 agents refused: %.300v", err)
	}
	if n := d.PublishedBytes(); n > MaxPublishedBytes {
		t.Fatalf("5,000 agents come to %d bytes", n)
	}
}
