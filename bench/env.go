package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"outbound/internal/address"
	"outbound/internal/archive"
	"outbound/internal/codec"
	"outbound/internal/conversations"
	"outbound/internal/dev/testenv"
	"outbound/internal/directory"
	"outbound/internal/imagestore"
	"outbound/internal/model"
)

// agentSlot is one unit of an agent's outbound capacity (rule 7): a
// conversation needs one from start to wrap-up.
type agentSlot struct {
	Tenant string
	Agent  string
}

// world is the service the loads run against.
type world struct {
	cfg       Config
	out       io.Writer
	temporal  client.Client
	dc        converter.DataConverter // decodes payloads read from histories
	key       []byte
	archive   conversations.Archive // a long conversation's older messages
	env       *testenv.Env          // nil with --address
	inProcess bool
	dirs      map[string]directory.Directory
	slots     []agentSlot // every usable slot, spread over tenants and agents
	customers atomic.Int64
	runTag    string // makes email subjects and addresses unique per run
	phoneBase int64
	cleanup   func()
}

// slotsPerTenant is what a testenv tenant offers: alice and bob, premium on the
// blended profile, three outbound conversations each.
const slotsPerTenant = 6

// maxTenants bounds the in-process tenants: Publish sends every directory
// in one payload and configures each agent with one update.
const maxTenants = 200

func startWorld(ctx context.Context, cfg Config, out io.Writer) (*world, error) {
	w := &world{cfg: cfg, out: out, runTag: fmt.Sprintf("%x", time.Now().UnixNano()%0xffffff)}
	if cfg.Address != "" {
		if err := w.dial(ctx); err != nil {
			return nil, err
		}
		// Another run against the same server used the low numbers.
		w.phoneBase = time.Now().UnixNano() % 60000
	} else {
		if cfg.IdleProcess {
			if err := useFreshCodecKey(); err != nil {
				return nil, err
			}
		}
		need := max(cfg.Concurrency, 2)
		tenants := min((need+slotsPerTenant-1)/slotsPerTenant, maxTenants)
		tb := &testenv.Main{}
		start := time.Now()
		// Production's slot check (every minute): the tests' 2-second check
		// would add an agent's check every 2 seconds to the product's cost.
		w.env = testenv.Start(tb, testenv.Options{Tenants: tenants, RoutingAgents: routingAgents(cfg), LiveAgents: cfg.LiveAgents,
			IdleAgents: idleAgents(cfg.Idle), SlotCheckInterval: time.Minute})
		w.temporal, w.key, w.inProcess, w.cleanup = w.env.Temporal, w.env.Key, true, tb.Close
		w.dc, w.archive = codec.DataConverter(w.env.Codec), w.env.Archive
		fmt.Fprintf(out, "in-process Temporal (in-memory SQLite), worker, SMTP and SMS sinks, gateway: %d tenants, up in %s\n",
			tenants, time.Since(start).Round(100*time.Millisecond))
	}
	if err := w.loadSlots(ctx); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// dial connects to --address the way the starter does (SDK environment
// configuration) with the payload codec the dev stack uses.
func (w *world) dial(ctx context.Context) error {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return fmt.Errorf("load the Temporal client configuration: %w", err)
	}
	opts.HostPort, opts.Namespace = w.cfg.Address, w.cfg.Namespace
	opts.Logger = sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	keys, err := codec.FromEnv()
	if err != nil {
		return err
	}
	codec.Configure(&opts, keys)
	w.dc = opts.DataConverter
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", w.cfg.Address, err)
	}
	w.temporal, w.cleanup = c, c.Close
	if err := w.dialArchive(ctx, keys); err != nil {
		c.Close()
		return err
	}
	w.key = []byte(address.DevKey)
	if k := os.Getenv(address.KeyEnv); k != "" {
		w.key = []byte(k)
	}
	fmt.Fprintf(w.out, "Temporal at %s (namespace %s), served by a running worker\n", w.cfg.Address, w.cfg.Namespace)
	return nil
}

// dialArchive reads archived transcripts from the S3_* bucket, or from
// the dev stack's S3 fake without them.
func (w *world) dialArchive(ctx context.Context, keys *codec.Keys) error {
	cfg, ok := imagestore.ConfigFromEnv()
	if !ok {
		cfg = imagestore.DevConfig()
	}
	arch, err := archive.Open(ctx, cfg, keys)
	if err != nil {
		return err
	}
	w.archive = arch
	return nil
}

func (w *world) close() {
	if w.cleanup != nil {
		w.cleanup()
	}
}

// client returns the product's client for a tenant.
func (w *world) client(tenant string) *conversations.Client {
	return &conversations.Client{Temporal: w.temporal, IDKey: w.key, Tenant: tenant, Archive: w.archive}
}

// loadSlots reads the published directories and lists every agent that may
// start both SMS and email conversations, maxOutbound times, interleaved so
// consecutive conversations land on different agents and tenants.
func (w *world) loadSlots(ctx context.Context) error {
	dirs, err := (&conversations.Client{Temporal: w.temporal, IDKey: w.key}).Directories(ctx)
	if err != nil {
		return err
	}
	w.dirs = dirs
	names := make([]string, 0, len(dirs))
	for n := range dirs {
		names = append(names, n)
	}
	sort.Strings(names)
	var perAgent [][]agentSlot
	for _, n := range names {
		if n == testenv.RoutingTenant || n == testenv.RoutingScaleTenant || n == testenv.LiveTenant || n == testenv.IdleTenant {
			continue // phases (c), (d) and (e) only
		}
		d := dirs[n]
		for _, ag := range d.Agents {
			profile, ok := eligible(&d, ag.ID)
			if !ok {
				continue
			}
			var s []agentSlot
			for range profile.MaxOutbound {
				s = append(s, agentSlot{Tenant: n, Agent: ag.ID})
			}
			perAgent = append(perAgent, s)
		}
	}
	for round := 0; ; round++ {
		added := false
		for _, s := range perAgent {
			if round < len(s) {
				w.slots, added = append(w.slots, s[round]), true
			}
		}
		if !added {
			break
		}
	}
	if len(w.slots) == 0 {
		return fmt.Errorf("no agent may start both SMS and email conversations in the served tenants %v", names)
	}
	if len(w.slots) < w.cfg.Concurrency {
		fmt.Fprintf(w.out, "warning: only %d agent slots for concurrency %d: conversations wait for a free agent\n",
			len(w.slots), w.cfg.Concurrency)
	}
	return nil
}

// eligible is an agent that may start conversations on both channels.
func eligible(d *directory.Directory, agent string) (directory.Profile, bool) {
	var profile directory.Profile
	for _, ch := range []model.Channel{model.SMS, model.Email} {
		ep, ok := entryPoint(d, ch)
		if !ok {
			return profile, false
		}
		_, p, err := d.CheckEligibility(agent, ch, ep)
		if err != nil || p.MaxOutbound < 1 {
			return profile, false
		}
		profile = p
	}
	return profile, true
}

func entryPoint(d *directory.Directory, ch model.Channel) (string, bool) {
	i := slices.IndexFunc(d.EntryPoints, func(e directory.EntryPoint) bool { return e.Channel == ch })
	if i < 0 {
		return "", false
	}
	return d.EntryPoints[i].ID, true
}

// areaCodes give valid US mobile numbers: 10,000 per code.
var areaCodes = []string{"415", "650", "212", "312", "617", "206", "303", "512", "702", "919", "201", "202"}

// newCustomer returns a fresh customer address for the channel, so no two
// conversations of a run share a customer (rule 6 would refuse the second).
func (w *world) newCustomer(channel string) string {
	n := w.phoneBase + w.customers.Add(1)
	if channel == "email" {
		return fmt.Sprintf("bench-%s-%d@example.com", w.runTag, n)
	}
	n %= int64(len(areaCodes)) * 10000
	return fmt.Sprintf("+1%s555%04d", areaCodes[n/10000], n%10000)
}

// idleAgents is how many agents phase (c) needs for k open conversations,
// each holding as many as a directory allows.
func idleAgents(k int) int {
	return (k + directory.MaxOutboundLimit - 1) / directory.MaxOutboundLimit
}

// routingAgents is the testenv option phase (d) needs: the 6-agent queue,
// and the large one when asked.
func routingAgents(cfg Config) int {
	if cfg.Routing == 0 {
		return 0
	}
	return max(cfg.RoutingAgents, 6)
}
