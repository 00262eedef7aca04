package tests

// End to end with the real binaries, as a user runs them: `go build` the
// dev stack (./dev: the worker with an embedded Temporal server on a
// SQLite file, SMS sink writing the outbox), drive a conversation with the
// starter CLI, SIGKILL the worker while a transfer offer is pending, restart
// it on the same data dir and check that nothing was lost or sent twice.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"outbound/internal/api"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

const (
	binCustomer   = "+14155550142"
	binBuildLimit = 100 * time.Second // both binaries, built side by side
	binReadyLimit = 60 * time.Second  // worker start until `starter agents` answers
	binCallLimit  = 45 * time.Second  // one starter invocation (its own limit is 30s)
	binLogTail    = 200               // worker log lines shown on failure
)

func TestBinariesWorkerKilledDuringTransferOffer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the worker and starter binaries")
	}
	began := time.Now()
	h := newBinaryHarness(t)

	h.startWorker()

	// Start: stdout is the conversation id alone.
	out := h.mustStarter("start", "--agent", "alice", "--channel", "sms", "--to", binCustomer,
		"--from", "ep-sms", "--text", "Hello")
	id := strings.TrimSuffix(out, "\n")
	if id == "" || strings.ContainsAny(id, " \t\n") || !strings.HasPrefix(id, "conversation/fast/") {
		t.Fatalf("start: stdout must be the conversation id alone, got %q", out)
	}

	// A send run three times with one --request-id acts once and prints the
	// first answer each time (and once more after the crash, below).
	send := []string{"send", "--id", id, "--agent", "alice", "--text", "How can I help?", "--request-id", "binaries-send-m2"}
	for range 3 {
		if out := h.mustStarter(send...); out != "m2 sent\n" {
			t.Fatalf("send: stdout %q, want %q", out, "m2 sent\n")
		}
	}
	if out := h.mustStarter("reply", "--id", id, "--text", "My order is late"); out != "m3 received\n" {
		t.Fatalf("reply: stdout %q, want %q", out, "m3 received\n")
	}

	// The CLI contract: refusals exit 1 with "error: CODE: message", usage errors exit 2.
	h.wantRefusal("NOT_OWNER", "send", "--id", id, "--agent", "bob", "--text", "not mine")
	h.wantUsageError("send", "--id", id, "--agent", "alice")
	h.wantRefusal("LICENSE_NOT_PREMIUM", "start", "--agent", "carol", "--channel", "sms",
		"--to", "+14155550143", "--from", "ep-sms", "--text", "Hi")

	// Transfer to bob: the offer waits 4s for an answer that never comes.
	if out := h.mustStarter("transfer", "--id", id, "--agent", "alice", "--to-agent", "bob"); out != "offered\n" {
		t.Fatalf("transfer: stdout %q, want %q", out, "offered\n")
	}
	// The dev SMS sink posts signed "sent" then "delivered" callbacks to the
	// gateway, like the provider: wait for them before the crash.
	before := h.show(id)
	for deadline := time.Now().Add(10 * time.Second); !binDelivered(before) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		before = h.show(id)
	}
	if before.Status != api.StatusOffered || before.PendingTransfer == nil ||
		before.PendingTransfer.OfferedTo != "bob" || before.PendingTransfer.From != "alice" {
		t.Fatalf("after transfer: want status offered with an offer to bob from alice, got %s", binDump(before))
	}
	wantMessages := []binMsg{
		{"m1", model.Outbound, "Hello", model.MessageDelivered},
		{"m2", model.Outbound, "How can I help?", model.MessageDelivered},
		{"m3", model.Inbound, "My order is late", model.MessageReceived},
	}
	if got := binMessages(before); !binSameMessages(got, wantMessages) {
		t.Fatalf("transcript before the crash:\n got %v\nwant %v", got, wantMessages)
	}

	// Crash: SIGKILL, no graceful shutdown; then the same command again.
	killedAt := time.Now()
	h.killWorker()
	h.startWorker()
	restartTook := time.Since(killedAt)
	t.Logf("worker restarted in %s; offer expires %s after the kill", restartTook.Round(time.Millisecond),
		before.PendingTransfer.OfferExpires.Sub(killedAt).Round(time.Millisecond))

	if out := h.mustStarter(send...); out != "m2 sent\n" {
		t.Errorf("the send's request id after the restart: stdout %q, want the first answer %q", out, "m2 sent\n")
	}
	after := h.show(id)
	if before.PendingTransfer.OfferExpires.Before(time.Now()) && after.Status != api.StatusOffered {
		t.Fatalf("test timing: the restart took %s and the offer (expiring %s) was over before it could be "+
			"observed; the pending transfer cannot be checked on this machine. State: %s",
			restartTook, before.PendingTransfer.OfferExpires.Format(time.RFC3339Nano), binDump(after))
	}
	if got := binMessages(after); !binSameMessages(got, binMessages(before)) {
		t.Errorf("transcript changed across the restart:\nbefore %v\n after %v", binMessages(before), got)
	}
	for i := range min(len(before.Messages), len(after.Messages)) {
		if b, a := before.Messages[i].ProviderID, after.Messages[i].ProviderID; b != a {
			t.Errorf("message %s: provider id %q before the restart, %q after", before.Messages[i].ID, b, a)
		}
	}
	if after.Status != api.StatusOffered {
		t.Errorf("status after the restart: %q, want %q", after.Status, api.StatusOffered)
	}
	if b, a := binJSON(before.PendingTransfer), binJSON(after.PendingTransfer); b != a {
		t.Errorf("pending transfer changed across the restart:\nbefore %s\n after %s", b, a)
	}
	if t.Failed() {
		t.FailNow()
	}

	// The offer times out: bob goes RONA, the conversation goes to the entry
	// point's queue, and alice (who transferred it away) is not offered it.
	deadline := before.PendingTransfer.OfferExpires.Add(20 * time.Second)
	var queued api.ConversationState
	for {
		queued = h.show(id)
		if queued.Status != api.StatusOffered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still offered 20s after the offer expired: %s", binDump(queued))
		}
		time.Sleep(250 * time.Millisecond)
	}
	if queued.Status != api.StatusQueued || queued.Queue != "support" || queued.Owner != "" || queued.PendingTransfer != nil {
		t.Fatalf("after the offer timeout: want queued in support without owner or pending transfer, got %s", binDump(queued))
	}
	if got := binMessages(queued); !binSameMessages(got, wantMessages) {
		t.Errorf("transcript after the offer timeout:\n got %v\nwant %v", got, wantMessages)
	}
	for _, e := range queued.Events {
		if e.Kind == "offered" && e.Agent != "bob" {
			t.Errorf("offered to %s after the timeout; only bob was the target (alice transferred it away): %s", e.Agent, binDump(queued))
		}
	}
	// The conversation is queued a moment before bob hears of it.
	eventually(t, 5*time.Second, "bob RONA after the unanswered offer", func() bool { return h.agentState("bob") == api.AgentRONA })

	var open []conversations.ConversationSummary
	h.starterJSON(&open, "list", "--open", "--json")
	found := false
	for _, s := range open {
		if s.ID == id {
			found = true
			if s.Status != api.StatusQueued {
				t.Errorf("list --open: status %q, want %q", s.Status, api.StatusQueued)
			}
		}
	}
	if !found {
		t.Errorf("list --open --json does not contain %s: %+v", id, open)
	}

	if out := h.mustStarter("wrapup", "--id", id, "--agent", "alice", "--reason", "resolved"); out != "queued\n" {
		t.Errorf("wrapup: stdout %q, want %q", out, "queued\n")
	}

	// Exactly the outbound messages reached the SMS provider, once each,
	// although the worker died after delivering them and ran them again.
	h.checkOutbox(queued)

	t.Logf("scenario done in %s (builds included)", time.Since(began).Round(time.Millisecond))
}

// A directory changes when the worker restarts with it: carol joins the
// billing queue, and the conversation waiting there is offered to her with
// nobody calling accept. `starter queues --json` shows the line and the
// queue's agents with their availability, before and after.
func TestBinariesDirectoryChangeAddsAnAgentToAQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the worker and starter binaries")
	}
	h := newBinaryHarness(t)
	withCarol, err := os.ReadFile(h.directory)
	if err != nil {
		t.Fatal(err)
	}
	withoutCarol := strings.Replace(string(withCarol), "agents: [bob, carol]", "agents: [bob]", 1)
	if withoutCarol == string(withCarol) {
		t.Fatal("tests/testdata/fast.yaml no longer has billing with bob and carol; update this test")
	}
	h.directory = filepath.Join(t.TempDir(), "fast.yaml")
	writeFile(t, h.directory, withoutCarol)
	h.startWorker()

	h.mustStarter("agent-state", "--agent", "bob", "--state", "idle")
	id := strings.TrimSpace(h.mustStarter("start", "--agent", "alice", "--channel", "sms", "--to", binCustomer,
		"--from", "ep-sms", "--text", "Hello"))
	if out := h.mustStarter("transfer", "--id", id, "--agent", "alice", "--queue", "billing"); out != "queued\n" {
		t.Fatalf("transfer to billing, whose only agent is idle: stdout %q, want %q", out, "queued\n")
	}
	billing := h.queue("billing")
	if len(billing.Waiting) != 1 || billing.Waiting[0].ID != id || billing.Waiting[0].OfferedTo != "" ||
		billing.Waiting[0].Channel != model.SMS || billing.Waiting[0].Since.IsZero() {
		t.Fatalf("queues --json: want %s waiting in billing, unoffered, got %+v", id, billing.Waiting)
	}
	if len(billing.Agents) != 1 || billing.Agents[0].ID != "bob" || billing.Agents[0].State != api.AgentIdle || billing.Available != 0 {
		t.Fatalf("queues --json: want billing's agents [bob idle], got %+v", billing.Agents)
	}
	if out := h.mustStarter("queues"); !regexp.MustCompile(`(?m)^billing +Billing +1 +\d+s +0/1 `).MatchString(out) {
		t.Fatalf("queues: want billing with one waiting, its longest wait and 0/1 available, got\n%s", out)
	}

	h.killWorker()
	writeFile(t, h.directory, string(withCarol))
	h.startWorker()
	deadline := time.Now().Add(10 * time.Second)
	for st := h.show(id); st.PendingTransfer == nil || st.PendingTransfer.OfferedTo != "carol"; st = h.show(id) {
		if time.Now().After(deadline) {
			t.Fatalf("10s after the restart, not offered to carol: %s", binDump(st))
		}
		time.Sleep(200 * time.Millisecond)
	}
	billing = h.queue("billing")
	if len(billing.Waiting) != 1 || billing.Waiting[0].OfferedTo != "carol" {
		t.Errorf("queues --json: want %s offered to carol, got %+v", id, billing.Waiting)
	}
	if len(billing.Agents) != 2 || billing.Agents[1].ID != "carol" || billing.Agents[1].InUse != 1 {
		t.Errorf("queues --json: want billing's agents bob and carol (holding the offer), got %+v", billing.Agents)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// binaryHarness runs the built worker and starter for one test.
type binaryHarness struct {
	t          *testing.T
	root       string // repository root: the binaries' working directory
	workerBin  string
	starterBin string
	directory  string // tenant directory YAML
	dataDir    string
	logDir     string
	devPort    int
	uiPort     int
	httpPort   int
	smtpInPort int
	env        []string

	mu     sync.Mutex
	runs   int
	logs   []string
	worker *exec.Cmd
	exited chan struct{} // closed when the running worker has been waited for
}

func newBinaryHarness(t *testing.T) *binaryHarness {
	t.Helper()
	root := binRepoRoot(t)
	bin := t.TempDir()
	h := &binaryHarness{
		t:          t,
		root:       root,
		workerBin:  filepath.Join(bin, "dev"),
		starterBin: filepath.Join(bin, "starter"),
		directory:  filepath.Join(root, "tests", "testdata", "fast.yaml"),
		dataDir:    filepath.Join(t.TempDir(), "data"),
		logDir:     t.TempDir(),
		devPort:    binFreePort(t),
		uiPort:     binFreePort(t),
		httpPort:   binFreePort(t),
		smtpInPort: binFreePort(t),
		env:        binChildEnv(),
	}
	for h.uiPort == h.devPort {
		h.uiPort = binFreePort(t)
	}
	// Cleanups run last-registered first: stop the worker, then show its logs.
	t.Cleanup(h.showLogsOnFailure)
	t.Cleanup(func() {
		if h.running() {
			h.killWorker()
		}
	})
	h.build()
	return h
}

// build compiles both binaries side by side.
func (h *binaryHarness) build() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), binBuildLimit)
	defer cancel()
	targets := map[string]string{"./dev": h.workerBin, "./starter": h.starterBin}
	errs := make(chan error, len(targets))
	for pkg, out := range targets {
		go func() {
			cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
			cmd.Dir = h.root
			if b, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
				return
			}
			errs <- nil
		}()
	}
	for range targets {
		if err := <-errs; err != nil {
			h.t.Fatal(err)
		}
	}
}

// startWorker runs the built ./dev on the harness's data dir and ports and
// waits until `starter agents` succeeds against it.
func (h *binaryHarness) startWorker() {
	h.t.Helper()
	h.mu.Lock()
	h.runs++
	logPath := filepath.Join(h.logDir, fmt.Sprintf("worker-%d.log", h.runs))
	h.logs = append(h.logs, logPath)
	h.mu.Unlock()
	logFile, err := os.Create(logPath)
	if err != nil {
		h.t.Fatal(err)
	}
	cmd := exec.Command(h.workerBin, "--data-dir", h.dataDir,
		"--temporal-port", strconv.Itoa(h.devPort), "--ui-port", strconv.Itoa(h.uiPort),
		"--http-port", strconv.Itoa(h.httpPort), "--smtp-in-port", strconv.Itoa(h.smtpInPort),
		"--metrics-addr", "127.0.0.1:0", "--codec-port", "0", "--s3-port", "0", "--desktop-port", "0",
		"--directory", h.directory)
	cmd.Dir = h.root
	cmd.Env = h.env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		h.t.Fatalf("start the worker: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	h.mu.Lock()
	h.worker, h.exited = cmd, exited
	h.mu.Unlock()

	deadline := time.Now().Add(binReadyLimit)
	for {
		select {
		case <-exited:
			h.t.Fatalf("worker run %d exited before it was ready: %s", h.runs, cmd.ProcessState)
		default:
		}
		_, stderr, code := h.runStarterWithin(10*time.Second, "agents")
		// After a restart the server answers with what the last run
		// published before this run's gateway listens: wait for its word.
		if log, _ := os.ReadFile(logPath); code == 0 && strings.Contains(string(log), "dev stack ready") {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("worker run %d not ready within %s; last `starter agents`: exit %d, %s",
				h.runs, binReadyLimit, code, stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// killWorker sends SIGKILL (os.Process.Kill on Unix) and waits until the
// process is gone.
func (h *binaryHarness) killWorker() {
	h.t.Helper()
	h.mu.Lock()
	cmd, exited := h.worker, h.exited
	h.mu.Unlock()
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		h.t.Errorf("kill the worker: %v", err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		h.t.Fatalf("worker pid %d still running 10s after SIGKILL", cmd.Process.Pid)
	}
	if st := cmd.ProcessState; st != nil && st.Exited() {
		h.t.Errorf("worker had already exited on its own before the kill: %s", st)
	}
}

func (h *binaryHarness) running() bool {
	h.mu.Lock()
	exited := h.exited
	h.mu.Unlock()
	if exited == nil {
		return false
	}
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// runStarter runs the starter against the worker's Temporal frontend and
// returns its stdout, stderr and exit code.
func (h *binaryHarness) runStarter(args ...string) (stdout, stderr string, code int) {
	h.t.Helper()
	return h.runStarterWithin(binCallLimit, args...)
}

func (h *binaryHarness) runStarterWithin(limit time.Duration, args ...string) (stdout, stderr string, code int) {
	h.t.Helper()
	stdout, stderr, code, err := h.starter(limit, args...)
	if err != nil {
		h.t.Fatal(err)
	}
	return stdout, stderr, code
}

// starter runs the starter; unlike runStarter it may be called from any
// goroutine: a starter that could not run or did not exit in time is err.
func (h *binaryHarness) starter(limit time.Duration, args ...string) (stdout, stderr string, code int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	full := append([]string{"--address", net.JoinHostPort("127.0.0.1", strconv.Itoa(h.devPort))}, args...)
	cmd := exec.CommandContext(ctx, h.starterBin, full...)
	cmd.Dir = h.root
	cmd.Env = h.env
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return "", "", 0, fmt.Errorf("starter %s: no exit within %s (stderr: %s)", strings.Join(args, " "), limit, errOut.String())
	case errors.As(err, &exitErr):
		code, err = exitErr.ExitCode(), nil
	default:
		return "", "", 0, fmt.Errorf("starter %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), code, err
}

// mustStarter runs the starter and fails unless it exits 0; it returns stdout.
func (h *binaryHarness) mustStarter(args ...string) string {
	h.t.Helper()
	stdout, stderr, code := h.runStarter(args...)
	if code != 0 {
		h.t.Fatalf("starter %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// starterJSON runs a --json command and decodes its stdout into v.
func (h *binaryHarness) starterJSON(v any, args ...string) {
	h.t.Helper()
	out := h.mustStarter(args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		h.t.Fatalf("starter %s: stdout is not the expected JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (h *binaryHarness) show(id string) api.ConversationState {
	h.t.Helper()
	var st api.ConversationState
	h.starterJSON(&st, "show", "--id", id, "--json")
	return st
}

func (h *binaryHarness) queue(id string) conversations.QueueInfo {
	h.t.Helper()
	var queues []conversations.QueueInfo
	h.starterJSON(&queues, "queues", "--json")
	for _, q := range queues {
		if q.ID == id {
			return q
		}
	}
	h.t.Fatalf("queues --json does not list %s: %+v", id, queues)
	return conversations.QueueInfo{}
}

func (h *binaryHarness) agentState(agent string) string {
	h.t.Helper()
	var agents []conversations.AgentInfo
	h.starterJSON(&agents, "agents", "--json")
	for _, a := range agents {
		if a.ID == agent {
			return a.State
		}
	}
	h.t.Fatalf("agents --json does not list %s: %+v", agent, agents)
	return ""
}

// wantRefusal checks a refused operation: exit 1, nothing on stdout, stderr
// "error: CODE: message".
func (h *binaryHarness) wantRefusal(code string, args ...string) {
	h.t.Helper()
	stdout, stderr, exit := h.runStarter(args...)
	prefix := "error: " + code + ": "
	if exit != 1 || stdout != "" || !strings.HasPrefix(stderr, prefix) || len(strings.TrimSpace(stderr)) <= len(prefix) {
		h.t.Errorf("starter %s: want exit 1, empty stdout and stderr %q + message\ngot exit %d\nstdout: %q\nstderr: %q",
			strings.Join(args, " "), prefix, exit, stdout, stderr)
	}
}

// wantUsageError checks a usage mistake: exit 2, nothing on stdout, "error: ..." on stderr.
func (h *binaryHarness) wantUsageError(args ...string) {
	h.t.Helper()
	stdout, stderr, exit := h.runStarter(args...)
	if exit != 2 || stdout != "" || !strings.HasPrefix(stderr, "error: ") {
		h.t.Errorf("starter %s: want a usage error (exit 2, stderr \"error: ...\")\ngot exit %d\nstdout: %q\nstderr: %q",
			strings.Join(args, " "), exit, stdout, stderr)
	}
}

// binOutboxSMS is the part of a sink record <outbox>/sms/<sid>.json the test reads.
type binOutboxSMS struct {
	SID            string `json:"sid"`
	From           string `json:"from"`
	To             string `json:"to"`
	Body           string `json:"body"`
	IdempotencyKey string `json:"idempotencyKey"`
}

// outboxSMS is every message the SMS sink accepted for the customer to.
func (h *binaryHarness) outboxSMS(to string) []binOutboxSMS {
	h.t.Helper()
	paths, err := filepath.Glob(filepath.Join(h.dataDir, "outbox", "sms", "*.json"))
	if err != nil {
		h.t.Fatal(err)
	}
	var toCustomer []binOutboxSMS
	for _, p := range paths {
		if strings.HasPrefix(filepath.Base(p), ".") {
			continue // the sink's temp files
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			h.t.Fatal(err)
		}
		var rec binOutboxSMS
		if err := json.Unmarshal(raw, &rec); err != nil {
			h.t.Fatalf("%s: %v", p, err)
		}
		if rec.To == to {
			toCustomer = append(toCustomer, rec)
		}
	}
	return toCustomer
}

// checkOutbox compares the SMS outbox with the conversation's outbound
// messages, message by message: each is in the outbox once, under its own
// idempotency key and provider id, with its own text; nothing else is.
func (h *binaryHarness) checkOutbox(st api.ConversationState) {
	h.t.Helper()
	toCustomer := h.outboxSMS(binCustomer)
	var outbound []model.Message
	for _, m := range st.Messages {
		if m.Direction == model.Outbound {
			outbound = append(outbound, m)
		}
	}
	if len(toCustomer) != len(outbound) {
		h.t.Errorf("SMS outbox holds %d messages to %s, the conversation sent %d:\noutbox %+v\nsent %v",
			len(toCustomer), binCustomer, len(outbound), toCustomer, binMessages(st))
	}
	bySID, byKey := map[string]binOutboxSMS{}, map[string]int{}
	for _, rec := range toCustomer {
		bySID[rec.SID] = rec
		byKey[rec.IdempotencyKey]++
	}
	for _, m := range outbound {
		rec, ok := bySID[m.ProviderID]
		switch {
		case !ok:
			h.t.Errorf("message %s (provider id %q) is not in the SMS outbox", m.ID, m.ProviderID)
		case rec.Body != m.Text || rec.From != st.EntryAddress:
			h.t.Errorf("message %s: the provider sent from %q the text %q, the transcript says from %q %q", m.ID, rec.From, rec.Body, st.EntryAddress, m.Text)
		case rec.IdempotencyKey != st.ID+"/"+m.Key:
			h.t.Errorf("message %s (key %q): the provider has it under the key %q", m.ID, st.ID+"/"+m.Key, rec.IdempotencyKey)
		case byKey[rec.IdempotencyKey] != 1:
			h.t.Errorf("message %s: %d messages in the outbox under its key %q", m.ID, byKey[rec.IdempotencyKey], rec.IdempotencyKey)
		}
	}
}

// showLogsOnFailure prints the tail of every worker run's output.
func (h *binaryHarness) showLogsOnFailure() {
	if !h.t.Failed() {
		return
	}
	h.mu.Lock()
	logs := append([]string(nil), h.logs...)
	h.mu.Unlock()
	for i, p := range logs {
		lines, err := binTail(p, binLogTail)
		if err != nil {
			h.t.Logf("worker run %d: %v", i+1, err)
			continue
		}
		h.t.Logf("worker run %d output (last %d lines):\n%s", i+1, binLogTail, strings.Join(lines, "\n"))
	}
}

func binTail(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines, sc.Err()
}

// binMsg is what must survive of a transcript line.
type binMsg struct{ ID, Direction, Text, Status string }

func binMessages(st api.ConversationState) []binMsg {
	out := make([]binMsg, 0, len(st.Messages))
	for _, m := range st.Messages {
		out = append(out, binMsg{m.ID, m.Direction, m.Text, m.Status})
	}
	return out
}

func binSameMessages(a, b []binMsg) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func binJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

func binDump(st api.ConversationState) string {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Sprintf("%+v", st)
	}
	return string(b)
}

// binRepoRoot is the module root: the parent of this file's directory.
func binRepoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate binaries_test.go")
	}
	root := filepath.Dir(filepath.Dir(file))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s: %v", root, err)
	}
	return root
}

// binFreePort asks the kernel for a port nobody listens on.
// binFreePort picks a free port below the kernel's ephemeral range (32768
// and up on Linux): the worker binds the same ports again after a SIGKILL,
// and a port of that range can meanwhile become the local end of some
// outgoing connection, which made a restart fail with "address in use".
func binFreePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(12000)
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port from 20000 to 32000")
	return 0
}

// binChildEnv is the test's environment without the settings that would
// point the binaries elsewhere (another Temporal, another tenant).
func binChildEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TEMPORAL_") || strings.HasPrefix(kv, "OUTBOUND_TENANT=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func binDelivered(st api.ConversationState) bool {
	for _, m := range st.Messages {
		if m.Direction == model.Outbound && m.Status != model.MessageDelivered {
			return false
		}
	}
	return true
}
