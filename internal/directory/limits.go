package directory

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Bounds of a directory, checked at load. Every client reads the tenants a
// worker serves from one workflow's state (api.DirectoryWorkflow), and
// Temporal refuses a payload over 2 MiB: a directory past these bounds would
// load and then fail to publish, naming no file or field.
const (
	// MaxFileBytes bounds the YAML file itself.
	MaxFileBytes = 4 << 20
	// MaxPublishedBytes bounds one tenant's directory as it is published
	// (JSON): about 7,000 agents with their queues and a few templates.
	MaxPublishedBytes = 1 << 20
	// MaxTotalPublishedBytes bounds the tenants of one worker together.
	MaxTotalPublishedBytes = 1536 << 10
)

const maxAgents = 10000

// maxItems bounds each list, so that a runaway file is refused by field
// before anything else is checked.
var maxItems = []struct {
	field string
	max   int
	count func(d *Directory) int
}{
	{"agents", maxAgents, func(d *Directory) int { return len(d.Agents) }},
	{"queues", 1000, func(d *Directory) int { return len(d.Queues) }},
	{"entryPoints", 1000, func(d *Directory) int { return len(d.EntryPoints) }},
	{"profiles", 100, func(d *Directory) int { return len(d.Profiles) }},
	{"templates", 1000, func(d *Directory) int { return len(d.Templates) }},
	{"flows", 1000, func(d *Directory) int { return len(d.Flows) }},
	{"wrapUpReasons", 100, func(d *Directory) int { return len(d.WrapUpReasons) }},
}

// validateBounds reports every list over its bound; the rest of the
// validation is not worth running on such a file.
func (d *Directory) validateBounds(p *problems) {
	for _, b := range maxItems {
		if n := b.count(d); n > b.max {
			p.add(b.field, "%d entries; a directory may have at most %d", n, b.max)
		}
	}
	for i, q := range d.Queues {
		if len(q.Agents) > maxAgents {
			p.add(fmt.Sprintf("queues[%d].agents", i), "%d entries; a queue may have at most %d", len(q.Agents), maxAgents)
		}
	}
}

// PublishedBytes is the size of the directory as it is published.
func (d *Directory) PublishedBytes() int {
	data, _ := json.Marshal(d) // a Directory always marshals
	return len(data)
}

func (d *Directory) validateSize(p *problems) {
	if n := d.PublishedBytes(); n > MaxPublishedBytes {
		p.add("(the whole directory)", "%d KiB once published to clients; at most %d KiB (fewer or shorter agents, templates or flows; or split the tenant)", n>>10, MaxPublishedBytes>>10)
	}
}

// CheckTogether refuses directories that are each valid but cannot be served
// by one worker together: two tenants receiving at the same address (a
// customer's message would land in whichever is looked at first), or too big
// to publish together. byFile maps each file to its directory.
func CheckTogether(byFile map[string]*Directory) error {
	if err := checkAddresses(byFile); err != nil {
		return err
	}
	return checkTotalSize(byFile)
}

// checkAddresses refuses an entry-point address that two tenants name.
func checkAddresses(byFile map[string]*Directory) error {
	type owner struct{ file, tenant, entryPoint string }
	first := map[string]owner{} // channel and normalised address → its first owner
	var problems []string
	for _, file := range sortedKeys(byFile) {
		d := byFile[file]
		for _, ep := range d.EntryPoints {
			key := string(ep.Channel) + " " + ep.Address
			o, taken := first[key]
			if !taken {
				first[key] = owner{file, d.Tenant, ep.ID}
				continue
			}
			if o.tenant != d.Tenant {
				problems = append(problems, fmt.Sprintf("%s: tenant %q entry point %q and %s: tenant %q entry point %q both receive %s at %q; a customer's message could land in either tenant: give each its own address",
					o.file, o.tenant, o.entryPoint, file, d.Tenant, ep.ID, ep.Channel, ep.Address))
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

func checkTotalSize(byFile map[string]*Directory) error {
	total, parts := 0, []string{}
	for _, file := range sortedKeys(byFile) {
		n := byFile[file].PublishedBytes()
		total += n
		parts = append(parts, fmt.Sprintf("%s %d KiB", file, n>>10))
	}
	if total > MaxTotalPublishedBytes {
		return fmt.Errorf("the directories come to %d KiB together once published; one worker may serve at most %d KiB (%s): run a worker per group of tenants",
			total>>10, MaxTotalPublishedBytes>>10, strings.Join(parts, ", "))
	}
	return nil
}
