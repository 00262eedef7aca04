package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestBenchTiny runs the whole benchmark at a tiny size, so the command
// cannot rot: both loads, the table, the ratios and the five checks.
func TestBenchTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	cfg := DefaultConfig()
	cfg.Conversations, cfg.Messages, cfg.Concurrency = 2, 2, 2
	cfg.Duration = 30 * time.Second
	cfg.HistoryMessages, cfg.Long, cfg.LongCANAfter, cfg.Idle = 2, 12, 40, 4
	cfg.Routing, cfg.RoutingAgents = 8, 12
	cfg.LiveAgents, cfg.LiveEvents = 3, 6
	cfg.InboundCustomers, cfg.InboundMessages = 2, 3
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	res, err := Run(ctx, cfg, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*loadResult{res.Baseline, res.Product} {
		if r.Errors > 0 {
			t.Errorf("%s: %d errors, first: %s", r.Name, r.Errors, r.FirstError)
		}
		if r.Conversations != 2 || r.Messages != 4 {
			t.Errorf("%s: %d conversations, %d messages; want 2 and 4", r.Name, r.Conversations, r.Messages)
		}
		if r.ConvPerSec <= 0 || r.MsgPerSec <= 0 || r.P50 <= 0 || r.P99 < r.P50 {
			t.Errorf("%s: conv/s %v, msg/s %v, p50 %v, p99 %v", r.Name, r.ConvPerSec, r.MsgPerSec, r.P50, r.P99)
		}
		if r.Events <= 0 || r.EventsPerMsg <= 0 {
			t.Errorf("%s: %d events, %v per message", r.Name, r.Events, r.EventsPerMsg)
		}
	}
	if res.MsgRatio <= 0 || res.P99Ratio <= 0 {
		t.Errorf("ratios not computed: msg/s %v, p99 %v", res.MsgRatio, res.P99Ratio)
	}
	if res.ProductBad > 0 {
		t.Errorf("%d conversations came back wrong", res.ProductBad)
	}
	if res.SMSMessages == 0 || res.SMSUndelivered > 0 {
		t.Errorf("%d of %d SMS agent messages never shown delivered", res.SMSUndelivered, res.SMSMessages)
	}
	if len(res.History) != 2 || res.History[0].PerMessage <= 0 || res.History[1].PerMessage <= 0 {
		t.Errorf("history cost per message not measured: %+v", res.History)
	}
	if l := res.Long; l == nil || l.Runs < 2 || l.Lost != "" || l.MaxRun <= 0 {
		t.Errorf("long conversation: %+v (want several runs and nothing lost)", l)
	}
	if m := res.Idle; m == nil || m.Conversations != 4 {
		t.Errorf("idle memory: %+v", m)
	}
	if r := res.Routing; len(r) != 2 || r[1].Agents != 12 || len(r[1].Steady.d) != 8 || r[1].Steady.percentile(50) <= 0 || r[1].Burst <= 0 || r[1].CPUPerCycle <= 0 {
		t.Errorf("routing: %+v (want both queues, every cycle timed, the burst and the CPU)", r)
	}
	if l := res.Live; l == nil || len(l.Latency.d) != 6 || l.Missed.Load() != 0 || l.IdleRPS <= 0 {
		t.Errorf("desktop live: %+v (want every reply on its agent's page, each timed, and the idle cost)", l)
	}
	if r := res.Inbound; r == nil || r.Direct.CPU <= 0 || r.Webhook.CPU <= 0 || r.Webhook.Landed < r.Webhook.Acked {
		t.Errorf("inbound: %+v (want both paths measured, every message landed)", r)
	}
	for _, want := range []string{"baseline", "product", "ratio product/baseline", "(a) history events", "(b) long conversation", "(c) 4 open idle", "(d) routing", "(e) desktop live", "(f) inbound"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
