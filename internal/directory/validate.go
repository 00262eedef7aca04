package directory

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"outbound/internal/address"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// safeID is what ids may contain: they end up in workflow IDs, task queue
// names and search attributes, where case and punctuation cause surprises.
var safeID = regexp.MustCompile(`^[a-z0-9-]+$`)

// problems collects every validation failure so an admin fixes a file in one
// pass instead of one error per run.
type problems struct {
	file string
	errs []error
}

func (p *problems) add(path, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s: %s", p.file, path, fmt.Sprintf(format, args...)))
}

// checkID requires id to be present, safe and unique in its list; seen maps the
// ids met so far to their paths.
func (p *problems) checkID(path, id string, seen map[string]string) {
	switch {
	case id == "":
		p.add(path, "required")
	case !safeID.MatchString(id):
		p.add(path, "%q is not a safe id (use a-z, 0-9 and -)", id)
	case seen[id] != "":
		p.add(path, "%q is already used by %s", id, seen[id])
	default:
		seen[id] = path
	}
}

func (d *Directory) validate(file string) error {
	p := &problems{file: file}
	if d.validateBounds(p); len(p.errs) > 0 {
		return errors.Join(p.errs...)
	}
	d.validateTenant(p)
	d.validateTimers(p)
	d.validateWrapUpReasons(p)
	d.validateProfiles(p)
	d.validateAgents(p)
	d.validateQueues(p)
	d.validateEntryPoints(p)
	d.validateTemplates(p)
	d.validateFlows(p)
	d.validateSize(p)
	return errors.Join(p.errs...)
}

// archiveTenant is the first key segment of the transcript archive
// (imagestore.PrivatePrefix): a tenant of that name would put its public
// images where objects are never served.
const archiveTenant = "transcripts"

func (d *Directory) validateTenant(p *problems) {
	p.checkID("tenant", d.Tenant, map[string]string{})
	if d.Tenant == archiveTenant {
		p.add("tenant", "%q is reserved for the transcript archive", d.Tenant)
	}
}

// MaxOutboundLimit bounds an agent's outbound conversations at once: each
// holds a slot in the agent's workflow state.
const MaxOutboundLimit = 50

func (d *Directory) validateTimers(p *problems) {
	for _, timer := range []struct {
		path     string
		value    time.Duration
		min, max time.Duration
	}{
		{"transferOfferTimeout", d.TransferOfferTimeout, time.Second, 10 * time.Minute}, // a person answers an offer
		{"wrapUpTimeout", d.WrapUpTimeout, time.Second, 24 * time.Hour},                 // a slot is not held for days
	} {
		if timer.value < timer.min || timer.value > timer.max {
			p.add(timer.path, "must be a duration from %s to %s such as 30s, got %s", timer.min, timer.max, timer.value)
		}
	}
	if d.SlotCheckInterval < 0 || (d.SlotCheckInterval > 0 && d.SlotCheckInterval < time.Second) {
		p.add("slotCheckInterval", "must be a duration of at least 1s such as 1m, or left out for every minute")
	}
	if d.DeliveryCheckAfter < 0 || (d.DeliveryCheckAfter > 0 && d.DeliveryCheckAfter < time.Second) {
		p.add("deliveryCheckAfter", "must be a duration of at least 1s such as 10m, or left out for ten minutes")
	}
	if d.ReofferAfter < 0 || (d.ReofferAfter > 0 && d.ReofferAfter < time.Second) || d.ReofferAfter > time.Hour {
		p.add("reofferAfter", "must be a duration from 1s to 1h such as 1m, or left out for one minute")
	}
}

func (d *Directory) validateWrapUpReasons(p *problems) {
	seen := map[string]bool{}
	for i, r := range d.WrapUpReasons {
		path := fmt.Sprintf("wrapUpReasons[%d]", i)
		switch {
		case strings.TrimSpace(r) == "":
			p.add(path, "must not be empty")
		case seen[r]:
			p.add(path, "%q is listed twice", r)
		}
		seen[r] = true
	}
	switch {
	case d.DefaultWrapUpReason == "":
		p.add("defaultWrapUpReason", "required (applied when the wrap-up times out)")
	case !seen[d.DefaultWrapUpReason]:
		p.add("defaultWrapUpReason", "%q is not one of wrapUpReasons", d.DefaultWrapUpReason)
	}
}

func (d *Directory) validateProfiles(p *problems) {
	seen := map[string]string{}
	for i, prof := range d.Profiles {
		path := fmt.Sprintf("profiles[%d]", i)
		p.checkID(path+".id", prof.ID, seen)
		// Sorted so the same file always reports its problems in the same order.
		for _, ch := range sortedKeys(prof.Channels) {
			chPath := path + ".channels." + string(ch)
			if !ch.Valid() {
				p.add(chPath, "unknown channel %q (sms or email)", ch)
			}
			if a := prof.Channels[ch]; a != Auto && a != Manual {
				p.add(chPath, "assignment %q must be auto or manual", a)
			}
		}
		if prof.MaxOutbound < 1 || prof.MaxOutbound > MaxOutboundLimit {
			p.add(path+".maxOutbound", "must be from 1 to %d, got %d", MaxOutboundLimit, prof.MaxOutbound)
		}
	}
}

func (d *Directory) validateAgents(p *problems) {
	seen, logins := map[string]string{}, map[string]string{}
	for i, a := range d.Agents {
		path := fmt.Sprintf("agents[%d]", i)
		p.checkID(path+".id", a.ID, seen)
		if a.Login != "" {
			login := strings.ToLower(a.Login)
			if addr, err := mail.ParseAddress(a.Login); err != nil || addr.Address != a.Login {
				p.add(path+".login", "%q is not an email address", a.Login)
			} else if logins[login] != "" {
				p.add(path+".login", "%q is already the login of %s", a.Login, logins[login])
			}
			logins[login] = path
		}
		if strings.TrimSpace(a.License) == "" {
			p.add(path+".license", "required")
		}
		if _, ok := d.Profile(a.Profile); !ok {
			p.add(path+".profile", "unknown profile %q", a.Profile)
		}
	}
}

func (d *Directory) validateQueues(p *problems) {
	seen := map[string]string{}
	for i, q := range d.Queues {
		path := fmt.Sprintf("queues[%d]", i)
		p.checkID(path+".id", q.ID, seen)
		for j, agentID := range q.Agents {
			agentPath := fmt.Sprintf("%s.agents[%d]", path, j)
			if _, ok := d.Agent(agentID); !ok {
				p.add(agentPath, "unknown agent %q", agentID)
			} else if slices.Index(q.Agents, agentID) < j {
				p.add(agentPath, "agent %q is listed twice", agentID)
			}
		}
	}
}

func (d *Directory) validateEntryPoints(p *problems) {
	seen := map[string]string{}
	addresses := map[string]string{} // channel+address → path, to keep EntryPointByAddress unambiguous
	for i := range d.EntryPoints {
		ep := &d.EntryPoints[i]
		path := fmt.Sprintf("entryPoints[%d]", i)
		p.checkID(path+".id", ep.ID, seen)
		if _, ok := d.Queue(ep.Queue); !ok {
			p.add(path+".queue", "unknown queue %q", ep.Queue)
		}
		if !ep.Channel.Valid() {
			p.add(path+".channel", "unknown channel %q (sms or email)", ep.Channel)
			continue
		}
		normalized, err := entryAddress(*ep)
		if err != nil {
			p.add(path+".address", "not a valid %s sender: %s", ep.Channel, refusalMessage(err))
			continue
		}
		// Stored normalized so lookups compare canonical forms.
		ep.Address = normalized
		key := string(ep.Channel) + " " + normalized
		if other := addresses[key]; other != "" {
			p.add(path+".address", "%s is already the address of %s", normalized, other)
		}
		addresses[key] = path
	}
}

// entryAddress normalizes an entry point's address: an SMS entry point may
// send from any kind of sender (docs/rules.md §3), an email one from an address.
func entryAddress(ep EntryPoint) (string, error) {
	if ep.Channel == model.SMS {
		addr, _, err := address.NormalizeSender(ep.Address, ep.Country)
		return addr, err
	}
	if ep.Country != "" {
		return "", codes.New(codes.InvalidAddress, "a country is declared for SMS short codes only")
	}
	return address.Normalize(ep.Channel, ep.Address)
}

func (d *Directory) validateFlows(p *problems) {
	seen := map[string]string{}
	for i, f := range d.Flows {
		path := fmt.Sprintf("flows[%d]", i)
		p.checkID(path+".id", f.ID, seen)
		if f.Event != "" && !f.Event.valid() {
			p.add(path+".event", "unknown event %q (task-created, task-routed or task-ended)", f.Event)
		}
	}
}

// refusalMessage drops the code and Temporal decorations from a refusal, as a
// configuration error is not a refusal.
func refusalMessage(err error) string {
	if _, msg, ok := codes.Of(err); ok {
		return msg
	}
	return err.Error()
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
