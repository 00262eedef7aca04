package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"outbound/internal/api"
)

// Targets of issue 5.
const (
	targetThroughputRatio = 0.8
	targetCPURatio        = 1.4
	targetEventsPerMsg    = 12
	targetRunEvents       = 10240
	targetIdleBytes       = 1 << 30 // for targetIdleConvs
	targetIdleConvs       = 10000
	payloadLimit          = 2 << 20 // the server's limit.blobSize.error default
)

// Results is what a run measured.
type Results struct {
	Baseline, Product *loadResult
	MsgRatio          float64 // product msg/s ÷ baseline msg/s
	CPURatio          float64 // product CPU per message ÷ baseline CPU per message
	P99Ratio          float64 // product p99 ÷ baseline p99
	ProductBad        int     // conversations whose transcript came back wrong
	SMSMessages       int     // SMS agent messages of the product load
	SMSLate           int     // … not shown delivered when the load ended
	SMSUndelivered    int     // … not shown delivered callbackWait later
	History           []historyCost
	Long              *longResult
	Idle              *idleResult
	Routing           []*routingResult
	Live              *liveResult
	Inbound           *inboundResult
	InProcess         bool // the server and the worker run in this process
}

// Run starts (or reaches) the service, runs both loads and the checks, and
// prints the tables to out.
func Run(ctx context.Context, cfg Config, out io.Writer) (*Results, error) {
	fmt.Fprintf(out, "outbound bench: %d conversations × %d agent messages, concurrency %d, cap %s, product channel %s, a reply every %d messages\n",
		cfg.Conversations, cfg.Messages, cfg.Concurrency, cfg.Duration, cfg.Channel, cfg.ReplyEvery)
	fmt.Fprintf(out, "machine: %d cores (nproc), %s; %s\n", runtime.NumCPU(), cpuModel(), runtime.Version())
	w, err := startWorld(ctx, cfg, out)
	if err != nil {
		return nil, err
	}
	defer w.close()
	res := &Results{InProcess: w.inProcess}

	// Baseline.
	fmt.Fprintf(out, "load average before the loads: %s\n", loadAverage())
	acts, stop, err := startBaselineWorker(w.temporal)
	if err != nil {
		return nil, err
	}
	res.Baseline = newLoad("baseline")
	stopProfile, err := startProfile(cfg.CPUProfile, "baseline")
	if err != nil {
		return nil, err
	}
	w.runLoad(ctx, res.Baseline, func(ctx context.Context, i int) error {
		return w.baselineConversation(ctx, acts, i, res.Baseline)
	})
	stopProfile()
	stop()
	if err := w.countHistories(ctx, res.Baseline); err != nil {
		return nil, err
	}

	// Product.
	p := w.newPool()
	res.Product = newLoad("product")
	agentsBefore := w.agentLengths(ctx)
	stopProfile, err = startProfile(cfg.CPUProfile, "product")
	if err != nil {
		return nil, err
	}
	w.runLoad(ctx, res.Product, func(ctx context.Context, i int) error {
		return w.productConversation(ctx, p, i, res.Product)
	})
	stopProfile()
	res.SMSLate, res.SMSMessages = w.undelivered(ctx, res.Product, 0)
	fmt.Fprintf(out, "load average after the loads: %s\n", loadAverage())
	if err := w.countHistories(ctx, res.Product); err != nil {
		return nil, err
	}
	res.Product.EntityEvents = w.entityEvents(ctx, res.Product, agentsBefore)
	bad, firstBad := w.verify(ctx, res.Product)
	res.ProductBad = bad
	res.SMSUndelivered, _ = w.undelivered(ctx, res.Product, callbackWait)
	if res.Baseline.MsgPerSec > 0 {
		res.MsgRatio = res.Product.MsgPerSec / res.Baseline.MsgPerSec
	}
	if res.Baseline.CPUPerMsg > 0 {
		res.CPURatio = float64(res.Product.CPUPerMsg) / float64(res.Baseline.CPUPerMsg)
	}
	if res.Baseline.P99 > 0 {
		res.P99Ratio = float64(res.Product.P99) / float64(res.Baseline.P99)
	}
	printLoads(out, res)
	if bad > 0 {
		fmt.Fprintf(out, "LOST: %d product conversations came back wrong; first: %v\n", bad, firstBad)
	}
	if res.SMSMessages > 0 {
		fmt.Fprintf(out, "SMS status callbacks: %d of %d SMS agent messages delivered when the load ended, %d not delivered %s later\n",
			res.SMSMessages-res.SMSLate, res.SMSMessages, res.SMSUndelivered, callbackWait)
	}
	if res.SMSLate > res.SMSMessages/10 {
		fmt.Fprintf(out, "CALLBACKS LATE: the product load ran without %d of its SMS status callbacks; its CPU figures leave them out\n", res.SMSLate)
	}

	// (a) History events per delivered agent message.
	if cfg.HistoryMessages > 0 {
		for _, ch := range []string{"sms", "email"} {
			h, err := w.historyCheck(ctx, p, ch, cfg.HistoryMessages)
			if err != nil {
				return res, fmt.Errorf("history check (%s): %w", ch, err)
			}
			res.History = append(res.History, h)
		}
		printHistory(out, res.History)
	}
	// (b) A long conversation across continue-as-new.
	if cfg.Long > 0 {
		l, err := w.longConversation(ctx, p, cfg.Long, cfg.LongCANAfter)
		if err != nil {
			return res, fmt.Errorf("long conversation: %w", err)
		}
		res.Long = l
		printLong(out, l)
	}
	// (f) What a customer's message costs through its channel; before (c),
	// whose idle conversations stay open and hold every agent slot.
	if cfg.InboundCustomers > 0 && cfg.InboundMessages > 0 {
		if !w.inProcess {
			fmt.Fprintln(out, "\n(f) inbound: skipped with --address (it needs the in-process gateway)")
		} else {
			r, err := w.inbound(ctx, cfg.InboundCustomers, cfg.InboundMessages)
			if err != nil {
				return res, fmt.Errorf("inbound: %w", err)
			}
			res.Inbound = r
			printInbound(out, r)
		}
	}
	// (c) Memory per open idle conversation.
	if cfg.Idle > 0 {
		if !w.inProcess && cfg.WorkerPID == 0 {
			fmt.Fprintln(out, "\n(c) idle memory: skipped with --address (the worker runs in another process: name it with --worker-pid)")
		} else {
			m, err := w.idleMemory(ctx, cfg.Idle)
			if err != nil {
				return res, fmt.Errorf("idle memory: %w", err)
			}
			res.Idle = m
			printIdle(out, m)
		}
	}
	// (d) Routing latency.
	if cfg.Routing > 0 {
		if !w.inProcess {
			fmt.Fprintln(out, "\n(d) routing: skipped with --address (it needs the in-process routing tenant)")
		} else {
			r, err := w.routing(ctx, cfg.Routing)
			if err != nil {
				return res, fmt.Errorf("routing: %w", err)
			}
			res.Routing = r
			printRouting(out, r)
		}
	}
	// (e) The desktop's live updates.
	if cfg.LiveAgents > 0 && cfg.LiveEvents > 0 {
		if !w.inProcess {
			fmt.Fprintln(out, "\n(e) desktop live: skipped with --address (it needs the in-process live tenant)")
		} else {
			l, err := w.live(ctx, cfg.LiveAgents, cfg.LiveEvents)
			if err != nil {
				return res, fmt.Errorf("desktop live: %w", err)
			}
			res.Live = l
			printLive(out, l)
		}
	}
	return res, nil
}

// agentLengths reads the history length of every agent workflow the load uses.
func (w *world) agentLengths(ctx context.Context) map[string]agentLen {
	out := map[string]agentLen{}
	for _, s := range w.slots {
		id := api.AgentWorkflowID(s.Tenant, s.Agent)
		if _, ok := out[id]; ok {
			continue
		}
		d, err := w.temporal.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			continue
		}
		info := d.GetWorkflowExecutionInfo()
		out[id] = agentLen{run: info.GetExecution().GetRunId(), n: info.GetHistoryLength()}
	}
	return out
}

type agentLen struct {
	run string
	n   int64
}

// entityEvents is what the load added to the Agent workflows (capacity,
// wrap-up) and the customers' records: the product's history cost outside
// the conversation workflows.
func (w *world) entityEvents(ctx context.Context, r *loadResult, before map[string]agentLen) int {
	total := 0
	for id, after := range w.agentLengths(ctx) {
		if b, ok := before[id]; ok && b.run == after.run {
			total += int(after.n - b.n)
		} else {
			total += int(after.n) // continued as new: counts the new run only
		}
	}
	var mu sync.Mutex
	eachRef(r.refs, func(ref workflowRef) {
		d, err := w.temporal.DescribeWorkflowExecution(ctx, ref.Customer, "")
		if err != nil {
			return
		}
		mu.Lock()
		total += int(d.GetWorkflowExecutionInfo().GetHistoryLength())
		mu.Unlock()
	})
	return total
}

func printLoads(out io.Writer, res *Results) {
	fmt.Fprintln(out)
	fmt.Fprintf(out, "%-9s %6s %8s %8s %8s %8s %11s %7s %7s %11s %7s\n",
		"load", "convs", "conv/s", "msg/s", "p50 ms", "p99 ms", "events/msg", "maxrun", "errors", "cpu ms/msg", "cores")
	for _, r := range []*loadResult{res.Baseline, res.Product} {
		fmt.Fprintf(out, "%-9s %6d %8.2f %8.1f %8.1f %8.1f %11.1f %7d %7d %11.2f %7.2f\n",
			r.Name, r.Conversations, r.ConvPerSec, r.MsgPerSec, ms(r.P50), ms(r.P99), r.EventsPerMsg, r.MaxRun, r.Errors,
			ms(r.CPUPerMsg), r.CPU.Seconds()/r.Elapsed.Seconds())
	}
	fmt.Fprintf(out, "ratio product/baseline: msg/s %.2f× (target ≥ %.1f×: %s), CPU per message %.2f× (target ≤ %.1f×: %s), p99 %.2f×, conv/s %.2f×\n",
		res.MsgRatio, targetThroughputRatio, verdict(res.MsgRatio >= targetThroughputRatio),
		res.CPURatio, targetCPURatio, verdict(res.CPURatio <= targetCPURatio), res.P99Ratio,
		res.Product.ConvPerSec/max(res.Baseline.ConvPerSec, 1e-9))
	fmt.Fprintf(out, "cpu = user + system time over the load, per delivered message; cores = cpu ÷ wall clock (%s)\n", cpuScope(res))
	printPostgres(out, res)
	fmt.Fprintln(out, "latency: baseline = signal sent → no-op activity running; product = Send (a Sync update) → its answer \"sent\",")
	fmt.Fprintln(out, "         i.e. the SMS API sink or the SMTP sink accepted and stored the message")
	for _, r := range []*loadResult{res.Baseline, res.Product} {
		if r.FirstError != "" {
			fmt.Fprintf(out, "%s: %d errors; first: %s\n", r.Name, r.Errors, r.FirstError)
		}
	}
	p := res.Product
	fmt.Fprintf(out, "\nproduct client calls (p50 / p99 ms):")
	for _, name := range p.opOrder {
		l := p.ops[name]
		fmt.Fprintf(out, " %s %.1f / %.1f;", name, ms(l.percentile(50)), ms(l.percentile(99)))
	}
	fmt.Fprintf(out, " %d replies\n", p.Replies)
	chans := make([]string, 0, len(p.ByChannel))
	for ch := range p.ByChannel {
		chans = append(chans, ch)
	}
	sort.Strings(chans)
	var parts []string
	for _, ch := range chans {
		c := p.ByChannel[ch]
		parts = append(parts, fmt.Sprintf("%s %.1f (%d conversations)", ch, float64(c.Events)/float64(max(c.Messages, 1)), c.Conversations))
	}
	if len(parts) > 0 {
		fmt.Fprintf(out, "product history events per agent message, whole conversation (start, replies, close, callbacks that arrived in time): %s\n",
			strings.Join(parts, "; "))
	}
	if p.Messages > 0 {
		fmt.Fprintf(out, "product conversation events: %s\n", top(p.Tally.types, float64(p.Messages), "agent message", 10))
		fmt.Fprintf(out, "product activities: %s\n", top(p.Tally.activities, float64(max(p.Conversations, 1)), "conversation", 0))
		fmt.Fprintf(out, "product entity workflows (Agent, Customer): %.1f events per conversation (%.1f per agent message) on top\n",
			float64(p.EntityEvents)/float64(max(p.Conversations, 1)), float64(p.EntityEvents)/float64(p.Messages))
		fmt.Fprintf(out, "product task times, mean ms (wait = scheduled → picked up, run = picked up → done): %s\n", p.Tally.timings())
	}
	b := res.Baseline
	if b.Messages > 0 {
		fmt.Fprintf(out, "baseline events: %s\n", top(b.Tally.types, float64(b.Messages), "message", 8))
		fmt.Fprintf(out, "baseline task times, mean ms: %s\n", b.Tally.timings())
	}
}

// cpuScope says what the CPU figures include.
func cpuScope(res *Results) string {
	if res.InProcess {
		return "server, worker, sinks and clients: everything runs in this process"
	}
	return "with --address: every process of the machine (/proc/stat), the server, workers and database of a cluster running here alone included"
}

func printHistory(out io.Writer, hs []historyCost) {
	fmt.Fprintf(out, "\n(a) history events per delivered agent message (one conversation per channel, %d messages, each awaited until its callbacks landed):\n", hs[0].Messages)
	for _, h := range hs {
		fmt.Fprintf(out, "    %-5s %5.1f per Send (target ≤ %d: %s); whole conversation %.1f per agent message\n",
			h.Channel, h.PerMessage, targetEventsPerMsg, verdict(h.PerMessage <= targetEventsPerMsg), h.Whole)
		fmt.Fprintf(out, "          %s\n", top(h.Types, float64(h.Messages), "message", 0))
	}
}

func printLong(out io.Writer, l *longResult) {
	can := fmt.Sprintf("continue-as-new past %d events", l.CANAfter)
	if l.CANAfter == 0 {
		can = "continue-as-new when the server suggests it"
	}
	lost := "nothing lost (every message in order, every agent message sent or delivered)"
	if l.Lost != "" {
		lost = "LOST: " + l.Lost
	}
	cut := ""
	if l.Messages < l.Wanted && l.Lost == "" {
		cut = fmt.Sprintf(" (of %d: --duration reached)", l.Wanted)
	}
	fmt.Fprintf(out, "\n(b) long conversation: %d agent messages%s + %d replies (signals), %s: %d runs, longest %d events (target < %d: %s), %.1f events per agent message; %s; %.1f msg/s\n",
		l.Messages, cut, l.Replies, can, l.Runs, l.MaxRun, targetRunEvents, verdict(l.MaxRun < targetRunEvents && l.Lost == ""),
		float64(l.Events)/float64(max(l.Messages, 1)), lost, float64(l.Messages)/l.Elapsed.Seconds())
	if l.CarryBytes > 0 {
		fmt.Fprintf(out, "    largest continue-as-new carry: %.0f KiB (%.1f%% of the server's 2 MiB payload limit), %d transcript messages in it, %d older ones in archived pages\n",
			float64(l.CarryBytes)/1024, 100*float64(l.CarryBytes)/payloadLimit, l.CarryMessages, l.CarryArchived)
	}
	if l.FailedTasks > 0 {
		fmt.Fprintf(out, "    %d workflow tasks failed: %s\n", l.FailedTasks, l.FailCauses)
	}
}

func printIdle(out io.Writer, m *idleResult) {
	mib := func(b uint64) float64 { return float64(b) / (1 << 20) }
	fmt.Fprintf(out, "\n(c) %d open idle email conversations (one delivered message each), started in %s:\n", m.Conversations, m.Elapsed.Round(100*time.Millisecond))
	if m.HeapShare == nil { // another process's RSS
		fmt.Fprintf(out, "    worker process RSS %.0f → %.0f MiB: %.1f KiB per conversation\n", mib(m.RSSBefore), mib(m.RSSAfter), m.PerConvRSS/1024)
	} else {
		fmt.Fprintf(out, "    process RSS %.0f → %.0f MiB: %.1f KiB per conversation (Go heap in use %.1f KiB, goroutine stacks %.1f KiB in %.1f goroutines)\n",
			mib(m.RSSBefore), mib(m.RSSAfter), m.PerConvRSS/1024, m.PerConvHeap/1024, m.PerConvStack/1024, m.PerConvGs)
		printOwners(out, m)
	}
	if m.HeapShare != nil {
		// In-process the RSS also holds the server and its in-memory SQLite;
		// the worker's part is at least what the SDK and the rest of the
		// client side keep live, and the workflows' goroutine stacks.
		worker := m.HeapShare["sdk"] + m.HeapShare["other"] + m.PerConvStack
		fmt.Fprintf(out, "    worker share, live objects and stacks only: %.1f KiB per conversation (a worker's RSS is more: GC headroom; --idle-process measures one)",
			worker/1024)
	} else {
		// Its RSS before the phase plus the growth per conversation (K = 10000
		// measures the target itself).
		projected := float64(m.RSSBefore) + m.PerConvRSS*targetIdleConvs
		fmt.Fprintf(out, "    %d conversations ≈ %.0f MiB worker process RSS (target < 1 GiB: %s); worker cache holds %d workflows",
			targetIdleConvs, projected/(1<<20), verdict(projected < targetIdleBytes), m.CacheSize)
	}
	if m.RaisedTo > 0 {
		fmt.Fprintf(out, "; agents' maxOutbound raised to %d for this phase", m.RaisedTo)
	}
	fmt.Fprintln(out)
}

// cpuModel is the processor's name from /proc/cpuinfo: figures from machines
// of different processors are not comparable.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown processor"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return "unknown processor"
}

// loadAverage is the machine's 1, 5 and 15 minute load averages: other
// processes share the cores and skew the figures.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// startProfile writes a CPU profile of one load (whole process: server,
// worker, sinks and clients) to FILE.load when a FILE is named.
func startProfile(file, load string) (func(), error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file + "." + load)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func printOwners(out io.Writer, m *idleResult) {
	var owners []string
	for _, o := range []string{"server", "sqlite", "sdk", "other"} {
		owners = append(owners, fmt.Sprintf("%s %.1f", o, m.HeapShare[o]/1024))
	}
	fmt.Fprintf(out, "    heap growth by allocator, KiB per conversation (sampled): %s (sdk = the worker's cached workflows and the clients)\n", strings.Join(owners, ", "))
}

func verdict(ok bool) string {
	if ok {
		return "OK"
	}
	return "MISSED"
}
