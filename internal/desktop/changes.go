package desktop

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"outbound/internal/api"
)

// changes tells the pages of one desktop process when a workflow they show
// changed. Agents and queues stamp api.AttrChangedAt in the workflow task
// that changes what a desk shows of them, conversations only the first
// change after api.ConversationQuiet without one (workflows/live.go). While
// any page is open, one visibility query every feedEvery asks which
// workflows were stamped lately, however many agents, pages and
// conversations there are. A conversation that changed lately is followed
// by a long poll on its history (follow.go), which hears every change at
// once and costs nothing more than its answers, until it has been quiet
// for twice api.ConversationQuiet: then its next change is stamped. An idle
// desk costs a few calls a second in all. A workflow a page asks about for
// the first time is read once (DescribeWorkflowExecution), so every process
// fingerprints a page alike. What it tells stays a hint: the page re-reads
// the state.
type changes struct {
	temporal client.Client
	log      *zap.Logger

	mu      sync.Mutex
	watched map[string]*stamped          // by workflow id
	pages   map[chan<- struct{}][]string // the workflows each live page shows
	newest  time.Time                    // the newest stamp heard
	feeding bool
	life    context.Context // the desktop's: cancelled by stop
	stop    context.CancelFunc
}

type stamped struct {
	at     time.Time // its ChangedAt as last heard; zero: none (missing, or from before the stamps)
	asked  time.Time // when a page last asked
	pages  map[chan<- struct{}]bool
	length int64 // a conversation's history length, its version
	// A conversation: byHistory; hot while its history is long-polled,
	// rewake when a stamp came while it was (follow.go).
	byHistory, hot, rewake bool
}

// version is what a page's fingerprint takes of the workflow.
func (w *stamped) version() int64 {
	if w.byHistory {
		return w.length
	}
	return w.at.UnixMicro()
}

const (
	feedEvery    = 300 * time.Millisecond
	unwatchAfter = time.Minute // not asked for so long: stop following
	// feedOverlap is how far back each query looks again: a stamp reaches
	// the visibility store a little after its task (each history shard
	// writes its own), so a later one may be heard first.
	feedOverlap = 10 * time.Second
)

func newChanges(c client.Client, log *zap.Logger) *changes {
	life, stop := context.WithCancel(context.Background())
	return &changes{temporal: c, log: log, watched: map[string]*stamped{}, pages: map[chan<- struct{}][]string{}, life: life, stop: stop}
}

// versionOf is the workflow's version as last heard, following it from now
// on if nobody did: a conversation's history length (byHistory), else its
// stamp.
func (c *changes) versionOf(ctx context.Context, workflowID string, byHistory bool) int64 {
	c.mu.Lock()
	if w, ok := c.watched[workflowID]; ok {
		w.asked = time.Now()
		c.mu.Unlock()
		return w.version()
	}
	c.mu.Unlock()
	d, err := c.describe(ctx, workflowID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if w, ok := c.watched[workflowID]; ok { // heard meanwhile
		return w.version()
	}
	w := &stamped{at: d.at, length: d.length, byHistory: byHistory, asked: time.Now(), pages: map[chan<- struct{}]bool{}}
	c.watched[workflowID] = w
	if byHistory && (d.running || err != nil) { // it may have changed lately, unstamped
		w.hot = true
		go c.follow(workflowID)
	}
	if !c.feeding {
		c.feeding = true
		go c.feed()
	}
	return w.version()
}

// subscribe makes page hear of a change of any of workflowIDs (asked about
// with versionOf), and no longer of others.
func (c *changes) subscribe(page chan<- struct{}, workflowIDs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop(page)
	for _, id := range workflowIDs {
		if w := c.watched[id]; w != nil {
			w.pages[page] = true
		}
	}
	c.pages[page] = workflowIDs
}

func (c *changes) unsubscribe(page chan<- struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop(page)
	delete(c.pages, page)
}

func (c *changes) drop(page chan<- struct{}) {
	for _, id := range c.pages[page] {
		if w := c.watched[id]; w != nil {
			delete(w.pages, page)
		}
	}
}

// feed asks for the latest stamps while any workflow is followed.
func (c *changes) feed() {
	tick := time.NewTicker(feedEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.life.Done():
			return
		case <-tick.C:
		}
		since, ok := c.sinceOrStop()
		if !ok {
			return
		}
		c.poll(since)
	}
}

// sinceOrStop lets go of what no page asked about for a while and says from
// when to ask, or that nothing is followed any more.
func (c *changes) sinceOrStop() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, w := range c.watched {
		if time.Since(w.asked) > unwatchAfter {
			delete(c.watched, id)
		}
	}
	if len(c.watched) == 0 {
		// A feed started again starts from now: what came before, the
		// describes of its first pages read.
		c.feeding, c.newest = false, time.Time{}
		return time.Time{}, false
	}
	// The stamps are the server's clock: the earlier of its newest stamp
	// and this clock, so that neither clock being ahead skips a change.
	since := time.Now()
	if !c.newest.IsZero() && c.newest.Before(since) {
		since = c.newest
	}
	return since.Add(-feedOverlap), true
}

func (c *changes) poll(since time.Time) {
	ctx, cancel := context.WithTimeout(c.life, 10*time.Second)
	defer cancel()
	query := fmt.Sprintf("%s >= '%s'", api.AttrChangedAt.GetName(), since.UTC().Format(time.RFC3339Nano))
	var token []byte
	for {
		resp, err := c.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 1000, NextPageToken: token})
		if err != nil {
			if c.life.Err() == nil {
				c.log.Warn("desktop: changes not read; asking again", zap.Error(err))
			}
			return
		}
		for _, e := range resp.GetExecutions() {
			c.heard(e.GetExecution().GetWorkflowId(), stampIn(e.GetSearchAttributes().GetIndexedFields()))
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return
		}
	}
}

// heard records a stamp and tells the pages that show the workflow.
func (c *changes) heard(workflowID string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at.After(c.newest) {
		c.newest = at
	}
	w := c.watched[workflowID]
	if w == nil || !at.After(w.at) {
		return
	}
	w.at = at
	switch {
	case !w.byHistory:
		w.tell()
	case w.hot:
		w.rewake = true
	default:
		w.hot = true
		go c.follow(workflowID)
	}
}

func (w *stamped) tell() {
	for page := range w.pages {
		select {
		case page <- struct{}{}:
		default: // already told
		}
	}
}

type described struct {
	at      time.Time
	length  int64 // -1: none
	running bool
}

// describe reads a workflow's stamp and run; a missing one has none.
func (c *changes) describe(ctx context.Context, workflowID string) (described, error) {
	d, err := c.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return described{length: -1}, nil
	}
	if err != nil {
		if c.life.Err() == nil {
			c.log.Warn("desktop: workflow not described", zap.Error(err))
		}
		return described{length: -1}, err
	}
	info := d.GetWorkflowExecutionInfo()
	return described{at: stampIn(info.GetSearchAttributes().GetIndexedFields()), length: info.GetHistoryLength(),
		running: info.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING}, nil
}

func stampIn(attrs map[string]*commonpb.Payload) time.Time {
	var at time.Time
	if p := attrs[api.AttrChangedAt.GetName()]; p != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &at)
	}
	return at
}
