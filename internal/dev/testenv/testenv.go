// Package testenv runs the dev stack (internal/dev/stack) in-process for
// integration tests and benchmarks, its Temporal server in memory, serving
// fresh tenants cloned from examples/acme.yaml so tests do not share agents.
package testenv

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"outbound/activities"
	"outbound/internal/address"
	"outbound/internal/conversations"
	"outbound/internal/dev/stack"
	"outbound/internal/dev/temporalserver"
	"outbound/internal/directory"
	"outbound/internal/metrics"
	"outbound/internal/service"
)

// Options shapes the tenants of an environment.
type Options struct {
	Tenants              int                    // how many fresh tenants (default 16)
	PeopleTenants        int                    // how many fresh tenants with timeouts a person can meet (PeopleTimeouts)
	Senders              bool                   // also the SendersTenant
	Crowd                bool                   // also the CrowdTenant
	RoutingAgents        int                    // also the RoutingTenant (6 agents) and, above 6, the RoutingScaleTenant with this many
	LiveAgents           int                    // also the LiveTenant, with this many agents
	IdleAgents           int                    // also the IdleTenant, with this many agents
	TransferOfferTimeout time.Duration          // default 2s
	WrapUpTimeout        time.Duration          // default 2s
	SlotCheckInterval    time.Duration          // default 2s
	SMS                  activities.SMSSender   // default: the SMS sink
	Email                activities.EmailSender // default: the SMTP sink
}

// Env is a running service.
type Env struct {
	*stack.Stack
	mu            sync.Mutex
	tenants       []string
	peopleTenants []string
	// reofferTenants' support queue has three members (alice, bob, carol)
	// and re-offers a conversation all of them have had after 3 s.
	reofferTenants []string
	dirs           map[string]*directory.Directory
	yamls          map[string][]byte
	Metrics        http.Handler // the worker's /metrics page
}

// Start runs the service until the test ends.
func Start(tb TB, opts Options) *Env {
	tb.Helper()
	opts = defaults(opts)
	env := &Env{dirs: map[string]*directory.Directory{}, yamls: map[string][]byte{}}
	for i := 1; i <= opts.Tenants; i++ {
		d := env.addTenant(tb, fmt.Sprintf("t%02d", i), i, opts)
		env.tenants = append(env.tenants, d.Tenant)
	}
	people := opts
	people.TransferOfferTimeout, people.WrapUpTimeout = PeopleTimeouts()
	for i := 1; i <= opts.PeopleTenants; i++ {
		d := env.addTenant(tb, fmt.Sprintf("p%02d", i), 100+i, people)
		env.peopleTenants = append(env.peopleTenants, d.Tenant)
	}
	env.addTenant(tb, PCITenant, 99, opts, "pciEmail: false", "pciEmail: true")
	if opts.Crowd {
		env.addTenant(tb, CrowdTenant, 88, people, crowdEdits()...)
	}
	for i := 1; i <= 2; i++ {
		d := env.addTenant(tb, fmt.Sprintf("reoffer%d", i), 90+i, people, reofferEdits...)
		env.reofferTenants = append(env.reofferTenants, d.Tenant)
	}
	if opts.Senders {
		env.addTenant(tb, SendersTenant, 98, opts, "\nqueues:", sendersEntryPoints+"\nqueues:")
	}
	if opts.RoutingAgents > 0 {
		routing := opts
		routing.TransferOfferTimeout = 10 * time.Minute // offers wait for the bench's agents
		env.addTenant(tb, RoutingTenant, 97, routing, routingEdits(6)...)
		if opts.RoutingAgents > 6 {
			env.addTenant(tb, RoutingScaleTenant, 89, routing, routingEdits(opts.RoutingAgents)...)
		}
	}
	if opts.LiveAgents > 0 {
		live := opts
		live.SlotCheckInterval = time.Minute // production's default: what the desktop sees
		env.addTenant(tb, LiveTenant, 96, live, agentEdits("l", "Live", opts.LiveAgents, "blended")...)
	}
	if opts.IdleAgents > 0 {
		env.addTenant(tb, IdleTenant, 95, opts, agentEdits("i", "Idle", opts.IdleAgents, "blended")...)
	}
	reg, err := metrics.New()
	if err != nil {
		tb.Fatalf("metrics: %v", err)
	}
	env.Metrics = reg.Page
	// Only a bound on a hang: with stress-ng --cpu 4 beside it, publishing
	// the ~120 tenants' directories took over a minute.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env.Stack, err = stack.Start(ctx, stack.Options{
		DataDir: tb.TempDir(), Directories: env.dirs, Ports: stack.Ports{UI: temporalserver.NoUI},
		Log: quietLogger(), IDKey: []byte(address.DevKey), SMSToken: SMSAuthToken,
		SMS: opts.SMS, Email: opts.Email, Metrics: reg.SDK,
	})
	if err != nil {
		tb.Fatalf("start the service: %v", err)
	}
	tb.Cleanup(env.Close)
	reg.QueueWaits(service.QueueWaits(env.Stack.Temporal, env.dirs))
	return env
}

// ClientFor returns a client bound to a named tenant (e.g. PCITenant; "":
// the one tenant the worker serves) that reads archived transcripts.
func (e *Env) ClientFor(tenant string) *conversations.Client { return e.Conversations(tenant) }

// SMSAuthToken signs the SMS provider's webhooks in tests.
const SMSAuthToken = "test-token"

// Tenant hands out an unused tenant and a client bound to it.
func (e *Env) Tenant(tb TB) *conversations.Client {
	tb.Helper()
	return e.take(tb, &e.tenants, "Tenants")
}

// PeopleTenant hands out a fresh tenant whose offer and wrap-up timeouts
// leave a person (or a browser test acting like one) time to answer.
func (e *Env) PeopleTenant(tb TB) *conversations.Client {
	tb.Helper()
	return e.take(tb, &e.peopleTenants, "PeopleTenants")
}

// ReofferTenant hands out a fresh PeopleTenant whose support queue has
// three members (alice, bob, carol) and re-offers a conversation every
// available member has had after 3 s (docs/rules.md §3, reofferAfter).
func (e *Env) ReofferTenant(tb TB) *conversations.Client {
	tb.Helper()
	return e.take(tb, &e.reofferTenants, "reoffer tenants (two)")
}

// PeopleTimeouts are the transfer offer and wrap-up timeouts of a PeopleTenant.
func PeopleTimeouts() (offer, wrapUp time.Duration) { return 8 * time.Second, 60 * time.Second }

func (e *Env) take(tb TB, pool *[]string, option string) *conversations.Client {
	tb.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(*pool) == 0 {
		tb.Fatalf("testenv: out of tenants; raise Options.%s", option)
	}
	name := (*pool)[0]
	*pool = (*pool)[1:]
	return e.ClientFor(name)
}

// Directory returns a tenant's directory.
func (e *Env) Directory(tenant string) *directory.Directory { return e.dirs[tenant] }

func defaults(o Options) Options {
	if o.Tenants == 0 {
		o.Tenants = 16
	}
	if o.TransferOfferTimeout == 0 {
		o.TransferOfferTimeout = 2 * time.Second
	}
	if o.WrapUpTimeout == 0 {
		o.WrapUpTimeout = 2 * time.Second
	}
	if o.SlotCheckInterval == 0 {
		o.SlotCheckInterval = 2 * time.Second
	}
	return o
}

// PCITenant is a tenant on the PCI-restricted email provider (no inline images).
const PCITenant = "pci"

// CrowdTenant has 200 agents c1…c200 (two slots each) in three overlapping
// queues, each with its own SMS entry point: support (c1–c120, ep-sms),
// billing (c61–c180, ep-billing) and claims (c121–c200 and c1–c20,
// ep-claims).
const CrowdTenant = "crowd"

func crowdEdits() []string {
	ids := func(from, to int) string {
		var s []string
		for i := from; i <= to; i++ {
			s = append(s, fmt.Sprintf("c%d", i))
		}
		return strings.Join(s, ", ")
	}
	var agents strings.Builder
	for i := 1; i <= 200; i++ {
		fmt.Fprintf(&agents, "  - {id: c%d, name: Crowd %d, license: premium, profile: pair}\n", i, i)
	}
	return []string{
		"{id: support, name: Support, agents: [alice, bob]}", "{id: support, name: Support, agents: [" + ids(1, 120) + "]}",
		"{id: billing, name: Billing, agents: [bob, carol]}", "{id: billing, name: Billing, agents: [" + ids(61, 180) + "]}\n" +
			"  - {id: claims, name: Claims, agents: [" + ids(121, 200) + ", " + ids(1, 20) + "]}",
		"\nqueues:", "\n  - {id: ep-billing, channel: sms, address: \"+14155559001\", queue: billing}" +
			"\n  - {id: ep-claims, channel: sms, address: \"+14155559002\", queue: claims}\nqueues:",
		"\nprofiles:\n", "\nprofiles:\n  - {id: pair, channels: {sms: auto, email: auto}, maxOutbound: 2}\n",
		"\nagents:\n", "\nagents:\n" + agents.String(),
	}
}

var reofferEdits = []string{
	"agents: [alice, bob]}", "agents: [alice, bob, carol]}",
	"\nwrapUpReasons:", "\nreofferAfter: 3s\nwrapUpReasons:",
}

// SendersTenant has an SMS entry point of every kind of sender besides the
// example's mobile number (docs/rules.md §3).
const SendersTenant = "senders"

const sendersEntryPoints = `
  - {id: ep-toll-free, channel: sms, address: "+1 800 234 5678", queue: support}
  - {id: ep-landline, channel: sms, address: "+44 20 7183 8750", queue: support}
  - {id: ep-short-code, channel: sms, address: "12345", country: US, queue: support}
  - {id: ep-named, channel: sms, address: "AcmeCo", queue: support}`

// RoutingTenant's entry points queue customers in support, whose six agents
// take one conversation each: what the bench's routing phase measures, and
// RoutingScaleTenant's the same with Options.RoutingAgents agents.
const (
	RoutingTenant      = "routing"
	RoutingScaleTenant = "routing-scale"
)

func routingEdits(n int) []string {
	return append(agentEdits("r", "Router", n, "single"),
		"\nprofiles:\n", "\nprofiles:\n  - {id: single, channels: {sms: auto, email: auto}, maxOutbound: 1}\n")
}

// LiveTenant's agents l1… (three conversations each, all in the support
// queue) are who the bench's desktop phase signs in.
const LiveTenant = "live"

// IdleTenant's agents i1… hold the bench's open idle conversations (phase c).
const IdleTenant = "idle"

// agentEdits gives a tenant n premium agents prefix1… (named name 1…, on the
// given profile), all in the support queue.
func agentEdits(prefix, name string, n int, profile string) []string {
	ids := make([]string, n)
	var agents strings.Builder
	for i := range n {
		ids[i] = fmt.Sprintf("%s%d", prefix, i+1)
		fmt.Fprintf(&agents, "  - {id: %s, name: %s %d, license: premium, profile: %s}\n", ids[i], name, i+1, profile)
	}
	return []string{
		"agents: [alice, bob]}", "agents: [" + strings.Join(ids, ", ") + "]}",
		"\nagents:\n", "\nagents:\n" + agents.String(),
	}
}

// DirectoryYAML is every tenant's directory as the worker's --directory
// files hold it, by tenant.
func (e *Env) DirectoryYAML() map[string][]byte { return e.yamls }

// addTenant clones the example directory under a new name, timeouts and entry
// point addresses (inbound messages find their tenant by address).
func (e *Env) addTenant(tb TB, name string, i int, o Options, edits ...string) *directory.Directory {
	yaml := strings.NewReplacer(append([]string{
		"tenant: acme", "tenant: " + name,
		`"+14155550100"`, fmt.Sprintf(`"+1415555%04d"`, 200+i),
		"support@acme.example", "support@" + name + ".example",
		"@acme.example, license", "@" + name + ".example, license", // logins are unique across tenants
		"transferOfferTimeout: 30s", "transferOfferTimeout: " + o.TransferOfferTimeout.String(),
		"wrapUpTimeout: 60s", "wrapUpTimeout: " + o.WrapUpTimeout.String(),
		"\ndefaultWrapUpReason:", "\nslotCheckInterval: " + o.SlotCheckInterval.String() + "\ndefaultWrapUpReason:",
	}, edits...)...).Replace(string(ExampleDirectory(tb)))
	d, err := directory.Parse(name+".yaml", []byte(yaml))
	if err != nil {
		tb.Fatalf("tenant %s: %v", name, err)
	}
	e.dirs[name], e.yamls[name] = d, []byte(yaml)
	return d
}

// ExampleDirectory reads examples/acme.yaml from the repository.
func ExampleDirectory(tb TB) []byte {
	_, file, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "..", "examples", "acme.yaml"))
	if err != nil {
		tb.Fatalf("example directory: %v", err)
	}
	return data
}

// quietLogger keeps test output readable: warnings and errors only, on stderr
// (server goroutines may log after a test ended, where t.Log would panic).
func quietLogger() *zap.Logger {
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(os.Stderr), zapcore.ErrorLevel))
}
