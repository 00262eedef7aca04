// Command bench measures what the product costs on top of Temporal itself:
// on one Temporal server it runs a minimal signal-plus-activity workflow
// (baseline) and then real conversations through the product's own client
// path (product), with the same concurrency, and prints throughput, latency,
// history events per message and the product/baseline ratios. It then checks
// the history cost per delivered message, a long conversation across
// continue-as-new, the resident memory of open idle conversations, and how
// soon a queue offers waiting work to an agent who became able to take it,
// and how soon a customer's reply reaches the pages of agents signed in to
// the desktop, at what cost to Temporal.
//
//	go run ./bench                       # in-process server, in-memory SQLite
//	go run ./bench --address 127.0.0.1:7233   # against a running `go run ./dev`
//
// See bench/RESULTS.md for the figures and what they show.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

// Config is one benchmark run.
type Config struct {
	Conversations int           // per load
	Messages      int           // agent messages per conversation
	Concurrency   int           // conversations in flight at once
	Duration      time.Duration // cap per load (half of it for the long and idle checks)
	ReplyEvery    int           // a customer reply after every k-th agent message (0: none)
	Channel       string        // sms, email or mixed (alternating by conversation)

	Address   string // "" = in-process server; else a frontend with `go run ./dev` serving
	Namespace string

	HistoryMessages  int // (a) messages in the per-channel history check (0: skip)
	Long             int // (b) agent messages in the long conversation (0: skip)
	LongCANAfter     int // (b) ContinueAsNewAfter of the long conversation (0: server's suggestion)
	Idle             int // (c) open idle conversations for the memory figure (0: skip)
	Routing          int // (d) steady cycles per queue (0: skip)
	RoutingAgents    int // (d) agents of the large queue (6: the reference queue only)
	LiveAgents       int // (e) agents signed in to the desktop (0: skip)
	LiveEvents       int // (e) customer replies while they are
	InboundCustomers int // (f) customers sending at once (0: skip)
	InboundMessages  int // (f) messages each customer sends

	CPUProfile  string // write CPU profiles of the loads to CPUProfile.baseline and .product
	WorkerPID   int    // (c) with --address: the worker process whose RSS to read
	IdleProcess bool   // (c) in-process: run the production worker as a child process and read its RSS
}

// DefaultConfig finishes in well under two minutes on two cores.
func DefaultConfig() Config {
	return Config{
		Conversations:    30,
		Messages:         10,
		Concurrency:      8,
		Duration:         30 * time.Second,
		ReplyEvery:       2,
		Channel:          "mixed",
		Namespace:        "default",
		HistoryMessages:  10,
		Long:             200,
		LongCANAfter:     600,
		Idle:             60,
		Routing:          20,
		RoutingAgents:    6,
		LiveAgents:       50,
		LiveEvents:       100,
		InboundCustomers: 10,
		InboundMessages:  20,
	}
}

func main() {
	cfg := DefaultConfig()
	flag.IntVar(&cfg.Conversations, "conversations", cfg.Conversations, "conversations per load")
	flag.IntVar(&cfg.Messages, "messages", cfg.Messages, "agent messages per conversation")
	flag.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "conversations in flight at once (both loads)")
	flag.DurationVar(&cfg.Duration, "duration", cfg.Duration, "cap per load: no conversation starts after it (the long and idle checks get half)")
	flag.IntVar(&cfg.ReplyEvery, "reply-every", cfg.ReplyEvery, "product: a customer reply after every k-th agent message (0: none)")
	flag.StringVar(&cfg.Channel, "channel", cfg.Channel, "product channel: sms, email or mixed")
	flag.StringVar(&cfg.Address, "address", cfg.Address, "Temporal frontend of a running `go run ./dev` (default: start one in-process)")
	flag.StringVar(&cfg.Namespace, "namespace", cfg.Namespace, "namespace with --address")
	flag.IntVar(&cfg.HistoryMessages, "history-messages", cfg.HistoryMessages, "(a) agent messages per channel in the history-cost check (0: skip)")
	flag.IntVar(&cfg.Long, "long", cfg.Long, "(b) agent messages in the long conversation (0: skip; 20000 for the target)")
	flag.IntVar(&cfg.LongCANAfter, "long-can-after", cfg.LongCANAfter, "(b) continue as new past this many events (0: when the server suggests it)")
	flag.IntVar(&cfg.Idle, "idle", cfg.Idle, "(c) open idle conversations for the memory figure (0: skip; 10000 for the target; with --address needs --worker-pid)")
	flag.IntVar(&cfg.Routing, "routing", cfg.Routing, "(d) steady routing cycles per queue (0: skip; in-process only)")
	flag.IntVar(&cfg.RoutingAgents, "routing-agents", cfg.RoutingAgents, "(d) agents of the large queue, measured beside the 6-agent one (1000 for the target)")
	flag.IntVar(&cfg.LiveAgents, "live-agents", cfg.LiveAgents, "(e) agents signed in to the desktop with a page open (0: skip; in-process only)")
	flag.IntVar(&cfg.LiveEvents, "live-events", cfg.LiveEvents, "(e) customer replies timed to the agents' pages")
	flag.IntVar(&cfg.InboundCustomers, "inbound-customers", cfg.InboundCustomers, "(f) customers writing in at once, straight and through the webhook (0: skip; in-process only)")
	flag.IntVar(&cfg.InboundMessages, "inbound-messages", cfg.InboundMessages, "(f) messages each customer sends, one after another")
	flag.BoolVar(&cfg.IdleProcess, "idle-process", false, "(c) run the production worker binary as a child process for this phase and read its resident memory alone")
	flag.IntVar(&cfg.WorkerPID, "worker-pid", 0, "(c) with --address: read the resident memory of this process (the worker, on this machine)")
	flag.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write CPU profiles of the loads to FILE.baseline and FILE.product")
	flag.Parse()
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func (c Config) check() error {
	switch {
	case c.Conversations < 1 || c.Messages < 1 || c.Concurrency < 1:
		return fmt.Errorf("--conversations, --messages and --concurrency must be positive")
	case c.Channel != "sms" && c.Channel != "email" && c.Channel != "mixed":
		return fmt.Errorf("--channel is sms, email or mixed, not %q", c.Channel)
	case c.Duration <= 0:
		return fmt.Errorf("--duration must be positive")
	case c.ReplyEvery < 0 || c.HistoryMessages < 0 || c.Long < 0 || c.LongCANAfter < 0 || c.Idle < 0 || c.Routing < 0 || c.RoutingAgents < 0 || c.LiveAgents < 0 || c.LiveEvents < 0 || c.InboundCustomers < 0 || c.InboundMessages < 0:
		return fmt.Errorf("counts cannot be negative")
	}
	return nil
}
