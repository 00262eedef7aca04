package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"outbound/internal/api"
	"outbound/internal/conversations"
	"outbound/internal/dev/testenv"
	"outbound/internal/model"
)

// historyCost is target (a): what one delivered agent message costs in the
// conversation workflow's history.
type historyCost struct {
	Channel    string
	Messages   int
	PerMessage float64        // events a Send adds, its status callbacks included
	Whole      float64        // the whole conversation's events / agent messages
	Types      map[string]int // the events the sends added, by type
}

// historyCheck sends m messages one after another in one conversation and
// waits after each until the provider's status callbacks (SMS: sent, then
// delivered) are recorded, as they would be in a conversation that lasts
// minutes; the history grows by what a delivered message costs.
func (w *world) historyCheck(ctx context.Context, p pool, ch string, m int) (historyCost, error) {
	out := historyCost{Channel: ch, Messages: m, Types: map[string]int{}}
	slot, err := p.take(ctx)
	if err != nil {
		return out, err
	}
	defer func() { p <- slot }()
	o, err := w.open(ctx, slot, ch, -1, 0, nil)
	if err != nil {
		return out, err
	}
	workflowID, runID, _ := api.SplitConversationID(o.id)
	l0, err := w.settledLength(ctx, workflowID)
	if err != nil {
		return out, err
	}
	for n := 1; n <= m; n++ {
		if _, err := o.send(ctx, fmt.Sprintf("History check %d", n)); err != nil {
			return out, err
		}
		if ch == "sms" {
			if err := w.awaitDelivered(ctx, o, fmt.Sprintf("m%d", n)); err != nil {
				return out, err
			}
		}
	}
	l1, err := w.settledLength(ctx, workflowID)
	if err != nil {
		return out, err
	}
	if err := o.finish(ctx, w.wrapUpReason(slot.Tenant), nil); err != nil {
		return out, err
	}
	it := w.temporal.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	total := 0
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return out, err
		}
		total++
		if e.GetEventId() > l0 && e.GetEventId() <= l1 {
			out.Types[strings.TrimPrefix(e.GetEventType().String(), "EVENT_TYPE_")]++
		}
	}
	out.PerMessage = float64(l1-l0) / float64(m)
	out.Whole = float64(total) / float64(m)
	return out, nil
}

// settledLength is the current run's history length once it stops growing.
func (w *world) settledLength(ctx context.Context, workflowID string) (int64, error) {
	last := int64(-1)
	for range 100 {
		d, err := w.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
		if err != nil {
			return 0, err
		}
		n := d.GetWorkflowExecutionInfo().GetHistoryLength()
		if n == last {
			return n, nil
		}
		last = n
		time.Sleep(150 * time.Millisecond)
	}
	return last, nil
}

// awaitDelivered polls the conversation (queries add no history) until the
// SMS provider's "delivered" callback has been recorded for a message.
func (w *world) awaitDelivered(ctx context.Context, o opened, messageID string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		st, err := o.c.Show(ctx, o.id)
		if err != nil {
			return err
		}
		for _, m := range st.Messages {
			if m.ID == messageID && m.Status == model.MessageDelivered {
				return nil
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("message %s: no delivered callback within 15s", messageID)
}

// longResult is target (b): a long conversation across continue-as-new.
type longResult struct {
	Wanted            int // --long; Messages is fewer when --duration cut it short
	Messages, Replies int
	CANAfter          int
	Runs              int
	MaxRun            int
	Events            int
	FailedTasks       int    // workflow tasks that failed
	FailCauses        string // and why
	CarryBytes        int    // the largest state handed to the next run
	CarryMessages     int    // transcript lines in it
	CarryArchived     int    // messages it names in archived pages
	Elapsed           time.Duration
	Lost              string // "" when every message is there, in order, delivered
}

// longConversation sends k agent messages in one SMS conversation (customer
// replies arrive as signals, as a webhook would send them), then checks that
// every run stayed short and nothing was lost across continue-as-new.
func (w *world) longConversation(ctx context.Context, p pool, k, canAfter int) (*longResult, error) {
	out := &longResult{Wanted: k, CANAfter: canAfter}
	slot, err := p.take(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	o, err := w.open(ctx, slot, "sms", -2, canAfter, nil)
	if err != nil {
		p <- slot
		return nil, err
	}
	workflowID, runID, _ := api.SplitConversationID(o.id)
	capped := start.Add(w.cfg.Duration / 2)
	for n := 1; n <= k && time.Now().Before(capped); n++ {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := o.send(sctx, fmt.Sprintf("Long conversation, message %d", n))
		cancel()
		if err != nil {
			out.Lost = fmt.Sprintf("stuck at agent message %d (%d messages in the transcript): %v%s",
				n, out.Messages+out.Replies, err, w.taskFailure(ctx, workflowID))
			break
		}
		out.Messages++
		if w.cfg.ReplyEvery > 0 && n%w.cfg.ReplyEvery == 0 {
			if _, err := o.c.Reply(ctx, conversations.Async, o.id, fmt.Sprintf("Reply %d", n)); err != nil {
				return nil, fmt.Errorf("reply %d: %w", n, err)
			}
			out.Replies++
		}
		if k >= 2000 && n%1000 == 0 {
			fmt.Fprintf(w.out, "    (b) %d agent messages, %.1f msg/s\n", n, float64(n)/time.Since(start).Seconds())
		}
	}
	if out.Lost != "" {
		// The conversation holds its agent's slot for good: keep it out of later phases.
		w.dropSlot(slot)
	} else {
		defer func() { p <- slot }()
		if err := w.closeLong(ctx, o, out, slot); err != nil {
			return nil, err
		}
	}
	out.Elapsed = time.Since(start)
	t := newTally()
	ch, err := readChain(ctx, w.temporal, workflowID, runID, t)
	if err != nil {
		return nil, err
	}
	out.Runs, out.MaxRun, out.Events = ch.Runs, ch.MaxRun, ch.Events
	out.FailedTasks = t.types["WORKFLOW_TASK_FAILED"] + t.types["WorkflowTaskFailed"]
	out.FailCauses = top(t.causes, 1, "run chain", 0)
	out.CarryBytes = ch.CarryBytes
	var in api.ConversationInput
	if ch.Carry != nil && w.dc != nil && w.dc.FromPayloads(ch.Carry, &in) == nil && in.State != nil {
		out.CarryMessages = len(in.State.Messages)
		for _, p := range in.State.Archived {
			out.CarryArchived += p.Messages
		}
	}
	return out, nil
}

// closeLong waits for the replies (signals) to be in the transcript, closes
// the conversation and checks that nothing was lost.
func (w *world) closeLong(ctx context.Context, o opened, out *longResult, slot agentSlot) error {
	deadline := time.Now().Add(time.Minute)
	for {
		qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		st, err := o.c.Show(qctx, o.id)
		cancel()
		if err != nil {
			out.Lost = fmt.Sprintf("show: %v", err)
			return nil
		}
		if len(st.Messages) >= out.Messages+out.Replies || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := o.finish(ctx, w.wrapUpReason(slot.Tenant), nil); err != nil {
		return err
	}
	ref := workflowRef{ID: o.id, Tenant: slot.Tenant, Messages: out.Messages, Replies: out.Replies}
	if err := w.checkTranscript(ctx, ref); err != nil {
		out.Lost = err.Error()
	}
	return nil
}

// taskFailure names why the current run's workflow tasks fail, if they do.
func (w *world) taskFailure(ctx context.Context, workflowID string) string {
	it := w.temporal.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	cause, failures := "", 0
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			break
		}
		if a := e.GetWorkflowTaskFailedEventAttributes(); a != nil {
			cause = a.GetCause().String()
			failures++
		}
	}
	if cause == "" {
		return ""
	}
	size := ""
	if d, err := w.temporal.DescribeWorkflowExecution(ctx, workflowID, ""); err == nil {
		info := d.GetWorkflowExecutionInfo()
		size = fmt.Sprintf(", at %d events / %.1f MiB of history", info.GetHistoryLength(), float64(info.GetHistorySizeBytes())/(1<<20))
	}
	return fmt.Sprintf("; the workflow task fails (%d times so far, cause %s%s)", failures, cause, size)
}

// dropSlot forgets one unit of an agent's capacity.
func (w *world) dropSlot(s agentSlot) {
	for i, x := range w.slots {
		if x == s {
			w.slots = append(w.slots[:i:i], w.slots[i+1:]...)
			return
		}
	}
}

// stickyCacheSize is the SDK's default workflow cache (worker.SetStickyWorkflowCacheSize):
// the most workflows one worker process keeps in memory between tasks.
const stickyCacheSize = 10000

// idleResult is target (c): resident memory per open idle conversation.
type idleResult struct {
	Conversations int
	RSSBefore     uint64
	RSSAfter      uint64
	HeapBefore    uint64
	HeapAfter     uint64
	PerConvRSS    float64
	PerConvHeap   float64
	PerConvStack  float64            // goroutine stacks (each workflow coroutine is a goroutine)
	PerConvGs     float64            // goroutines per conversation
	HeapShare     map[string]float64 // heap growth by owner: server, sqlite, sdk, other (bytes per conversation)
	CacheSize     int
	RaisedTo      int // maxOutbound the bench set for the idle phase (0: unchanged)
	Elapsed       time.Duration
}

// idleMemory opens k email conversations with one delivered message each and
// leaves them open, then reads the process's resident memory. In-process the
// figure includes the Temporal server and its in-memory SQLite: an upper
// bound for the worker.
func (w *world) idleMemory(ctx context.Context, k int) (*idleResult, error) {
	out := &idleResult{Conversations: k, CacheSize: stickyCacheSize}
	slots, raised := w.idleSlots(k)
	out.RaisedTo = raised
	if w.cfg.IdleProcess && w.inProcess {
		p, err := startWorkerProcess(ctx, w.env, raised, w.out)
		if err != nil {
			return nil, err
		}
		defer p.stop()
		w.cfg.WorkerPID = p.pid()
	}
	k = len(slots) // a remote worker's agents may hold fewer
	if w.cfg.WorkerPID == 0 {
		runtime.MemProfileRate = 4096 // finer heap samples for the owners split
	}
	out.RSSBefore, out.HeapBefore = w.settledMemory()
	before := memSnapshot()
	start := time.Now()
	capped := start.Add(w.cfg.Duration / 2)
	var next, opened atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range max(w.cfg.Concurrency, 4) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= k || ctx.Err() != nil || time.Now().After(capped) {
					return
				}
				o, err := w.open(ctx, slots[i], "email", 1_000_000+i, 0, nil)
				if err == nil {
					_, err = o.send(ctx, "We are looking into your request.")
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("idle conversation %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
				opened.Add(1)
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	out.Elapsed = time.Since(start)
	k = int(opened.Load())
	out.Conversations = k
	if k == 0 {
		return nil, fmt.Errorf("no conversation opened within --duration")
	}
	time.Sleep(time.Second) // let the last workflow tasks finish
	out.RSSAfter, out.HeapAfter = w.settledMemory()
	after := memSnapshot()
	out.PerConvRSS = (float64(out.RSSAfter) - float64(out.RSSBefore)) / float64(k)
	out.PerConvHeap = (float64(out.HeapAfter) - float64(out.HeapBefore)) / float64(k)
	if w.cfg.WorkerPID > 0 {
		return out, nil // the rest is about this process
	}
	out.PerConvStack = (float64(after.stack) - float64(before.stack)) / float64(k)
	out.PerConvGs = float64(after.goroutines-before.goroutines) / float64(k)
	out.HeapShare = map[string]float64{}
	for owner, b := range after.owners {
		out.HeapShare[owner] = (b - before.owners[owner]) / float64(k)
	}
	return out, nil
}

// idleSlots gives k agent slots: in-process, of the idle tenant's agents,
// whose maxOutbound it raises to what k needs in the directory the
// in-process worker reads (the directory a tenant would configure with a
// larger limit; the published copy the agents list shows keeps the old
// value); with --address, the loads' slots.
func (w *world) idleSlots(k int) ([]agentSlot, int) {
	if w.env == nil {
		return w.slots[:min(k, len(w.slots))], 0
	}
	d := w.env.Directory(testenv.IdleTenant)
	var agents []agentSlot
	for _, ag := range d.Agents {
		if _, ok := eligible(d, ag.ID); ok {
			agents = append(agents, agentSlot{Tenant: testenv.IdleTenant, Agent: ag.ID})
		}
	}
	per := (k + len(agents) - 1) / len(agents)
	profiles := append(d.Profiles[:0:0], d.Profiles...)
	for i := range profiles {
		profiles[i].MaxOutbound = max(profiles[i].MaxOutbound, per)
	}
	d.Profiles = profiles
	slots := make([]agentSlot, 0, k)
	for len(slots) < k {
		for _, a := range agents {
			if len(slots) < k {
				slots = append(slots, a)
			}
		}
	}
	return slots, per
}

// settledMemory collects garbage, returns freed pages to the OS and reads the
// resident set size (Linux) and the Go heap in use; with --worker-pid, the
// RSS of that process instead (its heap is not visible from here).
func (w *world) settledMemory() (rss, heap uint64) {
	if w.cfg.WorkerPID > 0 {
		return readRSS(fmt.Sprintf("/proc/%d/status", w.cfg.WorkerPID)), 0
	}
	runtime.GC()
	debug.FreeOSMemory()
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return readRSS("/proc/self/status"), m.HeapInuse
}

// readRSS is VmRSS from a /proc status file, in bytes (0 where there is none).
func readRSS(status string) uint64 {
	f, err := os.Open(status)
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				kb, _ := strconv.ParseUint(fields[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// memState is what settledMemory cannot see: stacks, goroutines and who
// holds the heap.
type memState struct {
	stack      uint64
	goroutines int
	owners     map[string]float64 // sampled in-use heap bytes by owner
}

func memSnapshot() memState {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memState{stack: m.StackInuse, goroutines: runtime.NumGoroutine(), owners: heapOwners()}
}

// heapOwners splits the sampled in-use heap by the code that allocated it:
// the Temporal server, its SQLite, the SDK (the worker and clients), or the rest.
func heapOwners() map[string]float64 {
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, false)
	for {
		recs = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		n, ok = runtime.MemProfile(recs, false)
		if ok {
			recs = recs[:n]
			break
		}
	}
	rate := float64(runtime.MemProfileRate)
	out := map[string]float64{}
	for _, r := range recs {
		inuse := r.InUseBytes()
		if inuse <= 0 {
			continue
		}
		// Undo the sampling: an object of mean size s is sampled with
		// probability 1 - exp(-s/rate) (as pprof does).
		objects := r.InUseObjects()
		size := float64(inuse) / float64(objects)
		scale := 1 / (1 - math.Exp(-size/rate))
		out[ownerOf(r.Stack())] += float64(inuse) * scale
	}
	return out
}

func ownerOf(stack []uintptr) string {
	frames := runtime.CallersFrames(stack)
	owner := "other"
	for {
		f, more := frames.Next()
		switch {
		case strings.HasPrefix(f.Function, "modernc.org/sqlite"):
			return "sqlite"
		case strings.HasPrefix(f.Function, "go.temporal.io/server/"):
			owner = "server"
		case strings.HasPrefix(f.Function, "go.temporal.io/sdk/") && owner == "other":
			owner = "sdk"
		}
		if !more {
			return owner
		}
	}
}
