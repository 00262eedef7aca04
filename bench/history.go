package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"
)

// chain is what the histories of one workflow's runs hold, first run to last
// (following continue-as-new).
type chain struct {
	Runs      int
	Events    int // all runs
	MaxRun    int // the longest run
	RunEvents []int
	// Carry is the largest continue-as-new input (the state a run hands to
	// the next), and CarryBytes its size.
	Carry      *commonpb.Payloads
	CarryBytes int
}

// tally adds up the event types and activities of many histories, and
// where the time went: each activity's wait for a worker (schedule → start)
// and run (start → close), each workflow task's wait and run.
type tally struct {
	mu         sync.Mutex
	events     int
	types      map[string]int
	activities map[string]int
	timing     map[string]*span
	causes     map[string]int // why workflow tasks failed
	workflows  int
}

// span is the time many tasks of one kind spent waiting and running.
type span struct {
	n          int
	wait, busy time.Duration
}

func newTally() *tally {
	return &tally{types: map[string]int{}, activities: map[string]int{}, timing: map[string]*span{}, causes: map[string]int{}}
}

// readChain reads every run of a workflow from runID on and counts its events.
func readChain(ctx context.Context, c client.Client, workflowID, runID string, t *tally) (chain, error) {
	var out chain
	for runID != "" {
		it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		n, next := 0, ""
		types, acts, causes := map[string]int{}, map[string]int{}, map[string]int{}
		timing := map[string]*span{}
		at := map[int64]time.Time{}      // event id → time
		kind := map[int64]string{}       // scheduled event id → activity type
		started := map[int64]time.Time{} // scheduled event id → started
		add := func(k string, wait, busy time.Duration) {
			s := timing[k]
			if s == nil {
				s = &span{}
				timing[k] = s
			}
			s.n++
			s.wait += wait
			s.busy += busy
		}
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return out, fmt.Errorf("history of %s: %w", workflowID, err)
			}
			n++
			t := e.GetEventTime().AsTime()
			at[e.GetEventId()] = t
			types[strings.TrimPrefix(e.GetEventType().String(), "EVENT_TYPE_")]++
			if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
				acts[a.GetActivityType().GetName()]++
				kind[e.GetEventId()] = a.GetActivityType().GetName()
			}
			if a := e.GetActivityTaskStartedEventAttributes(); a != nil {
				started[a.GetScheduledEventId()] = t
			}
			if a := e.GetActivityTaskCompletedEventAttributes(); a != nil {
				s, st := at[a.GetScheduledEventId()], started[a.GetScheduledEventId()]
				add("activity "+kind[a.GetScheduledEventId()], st.Sub(s), t.Sub(st))
			}
			if a := e.GetWorkflowTaskFailedEventAttributes(); a != nil {
				causes[strings.TrimPrefix(a.GetCause().String(), "WORKFLOW_TASK_FAILED_CAUSE_")]++
			}
			if a := e.GetWorkflowTaskStartedEventAttributes(); a != nil {
				started[a.GetScheduledEventId()] = t
			}
			if a := e.GetWorkflowTaskCompletedEventAttributes(); a != nil {
				s, st := at[a.GetScheduledEventId()], started[a.GetScheduledEventId()]
				add("workflow task", st.Sub(s), t.Sub(st))
			}
			if a := e.GetMarkerRecordedEventAttributes(); a != nil {
				acts["local:"+a.GetMarkerName()]++
			}
			if can := e.GetWorkflowExecutionContinuedAsNewEventAttributes(); can != nil {
				next = can.GetNewExecutionRunId()
				if size := proto.Size(can.GetInput()); size > out.CarryBytes {
					out.Carry, out.CarryBytes = can.GetInput(), size
				}
			}
		}
		out.Runs++
		out.Events += n
		out.MaxRun = max(out.MaxRun, n)
		out.RunEvents = append(out.RunEvents, n)
		if t != nil {
			t.mu.Lock()
			t.events += n
			for k, v := range types {
				t.types[k] += v
			}
			for k, v := range acts {
				t.activities[k] += v
			}
			for k, v := range causes {
				t.causes[k] += v
			}
			for k, v := range timing {
				s := t.timing[k]
				if s == nil {
					s = &span{}
					t.timing[k] = s
				}
				s.n += v.n
				s.wait += v.wait
				s.busy += v.busy
			}
			t.mu.Unlock()
		}
		runID = next
	}
	if t != nil {
		t.mu.Lock()
		t.workflows++
		t.mu.Unlock()
	}
	return out, nil
}

// top lists a count map, largest first, as "NAME n (x/unit)".
func top(m map[string]int, per float64, unit string, limit int) string {
	type kv struct {
		k string
		v int
	}
	var s []kv
	for k, v := range m {
		s = append(s, kv{k, v})
	}
	sort.Slice(s, func(i, j int) bool { return s[i].v > s[j].v || s[i].v == s[j].v && s[i].k < s[j].k })
	var parts []string
	for i, e := range s {
		if limit > 0 && i == limit {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", e.k, float64(e.v)/per))
	}
	return strings.Join(parts, ", ") + " (per " + unit + ")"
}

// timings lists where tasks spent their time: mean wait for a worker and
// mean run, in milliseconds, most frequent first.
func (t *tally) timings() string {
	type kv struct {
		k string
		s *span
	}
	var s []kv
	for k, v := range t.timing {
		s = append(s, kv{k, v})
	}
	sort.Slice(s, func(i, j int) bool { return s[i].s.n > s[j].s.n || s[i].s.n == s[j].s.n && s[i].k < s[j].k })
	var parts []string
	for _, e := range s {
		parts = append(parts, fmt.Sprintf("%s ×%d wait %.1f run %.1f", e.k, e.s.n,
			ms(e.s.wait)/float64(e.s.n), ms(e.s.busy)/float64(e.s.n)))
	}
	return strings.Join(parts, "; ")
}
