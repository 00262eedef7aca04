package tests

import (
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// metricValue sums a Prometheus series over the lines whose labels contain
// every given fragment.
func metricValue(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	env.Metrics.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	total := 0.0
	for _, m := range regexp.MustCompile(`(?m)^`+name+`\{([^}]*)\} (\S+)$`).FindAllStringSubmatch(rec.Body.String(), -1) {
		match := true
		for _, l := range labels {
			match = match && regexp.MustCompile(regexp.QuoteMeta(l)).MatchString(m[1])
		}
		if match {
			v, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				t.Fatal(err)
			}
			total += v
		}
	}
	return total
}

// The product metrics move as conversations run: starts, refusals by code,
// messages by channel, offer outcomes and the delivery latency histogram.
func TestProductMetrics(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	tenant := `tenant="` + c.Tenant + `"`
	id := startSMS(t, c, "alice", newPhone())
	_, err := c.Start(ctx, conversations.StartOptions{Agent: "carol", Channel: "sms", EntryPoint: "ep-sms", To: newPhone()})
	wantCode(t, err, codes.LicenseNotPremium)
	if _, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: "metrics"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Transfer(ctx, id, "alice", "bob", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decline(ctx, id, "bob"); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name   string
		labels []string
	}{
		{"outbound_conversations_started", []string{tenant, `channel="sms"`}},
		{"outbound_conversations_refused", []string{tenant, `code="LICENSE_NOT_PREMIUM"`}},
		{"outbound_messages_sent", []string{tenant, `channel="sms"`}},
		{"outbound_transfer_offers", []string{tenant, `outcome="declined"`}},
		{"outbound_delivery_latency_seconds_count", []string{`channel="sms"`}},
	}
	for _, ch := range checks {
		eventually(t, 10*time.Second, ch.name, func() bool { return metricValue(t, ch.name, ch.labels...) >= 1 })
	}
	if got := metricValue(t, "outbound_messages_sent", tenant); got != 2 {
		t.Fatalf("want 2 SMS sent for this tenant, the metric says %v", got)
	}
}

// docs/rules.md §3: each queue's longest wait is visible. A conversation
// waiting in billing (its agents idle) shows in outbound_queue_waiting and in
// a longest wait that grows while it waits.
func TestQueueLongestWaitMetric(t *testing.T) {
	c := env.PeopleTenant(t)
	labels := []string{`queue="billing"`, `tenant="` + c.Tenant + `"`}
	if got := metricValue(t, "outbound_queue_waiting", labels...); got != 0 {
		t.Fatalf("waiting before any transfer = %v", got)
	}
	waitingInIdleBilling(t, c)
	if got := metricValue(t, "outbound_queue_waiting", labels...); got != 1 {
		t.Fatalf("outbound_queue_waiting = %v, want 1", got)
	}
	first := metricValue(t, "outbound_queue_longest_wait_seconds", labels...)
	eventually(t, 10*time.Second, "the longest wait to grow", func() bool {
		return metricValue(t, "outbound_queue_longest_wait_seconds", labels...) >= first+1
	})
}
