package tests

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"outbound/internal/model"
	"outbound/internal/sms"
)

// A provider's retry of an inbound SMS after its conversation closed and the
// worker restarted (nothing in memory survives) is recognised by the
// customer's record: it opens no second conversation. A new message from the
// same customer still does, and holds only itself.
func TestBinariesProviderReplayAfterCloseAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the worker and starter binaries")
	}
	h := newBinaryHarness(t)
	h.startWorker()
	const customer = "+14155550144"
	id := strings.TrimSpace(h.mustStarter("start", "--agent", "alice", "--channel", "sms", "--to", customer,
		"--from", "ep-sms", "--text", "Hello"))
	question := url.Values{"From": {customer}, "To": {"+14155550100"}, "Body": {"Is it shipped?"}, "MessageSid": {"SM" + strings.Repeat("a", 32)}}
	h.postSMS(question)
	for deadline := time.Now().Add(10 * time.Second); len(h.show(id).Messages) < 2; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the customer's message did not land: %s", binDump(h.show(id)))
		}
	}
	h.mustStarter("close", "--id", id, "--agent", "alice")

	h.killWorker()
	h.startWorker()
	h.postSMS(question) // the provider's retry
	h.postSMS(url.Values{"From": {customer}, "To": {"+14155550100"}, "Body": {"One more thing"}, "MessageSid": {"SM" + strings.Repeat("b", 32)}})

	var waiting []string
	for deadline := time.Now().Add(10 * time.Second); len(waiting) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the new message opened no conversation in the support queue")
		}
		for _, w := range h.queue("support").Waiting {
			waiting = append(waiting, w.ID)
		}
	}
	if len(waiting) != 1 || waiting[0] == id {
		t.Fatalf("want one new conversation waiting, got %v (the closed one is %s)", waiting, id)
	}
	if got := binMessages(h.show(waiting[0])); len(got) != 1 || got[0].Text != "One more thing" || got[0].Direction != model.Inbound {
		t.Fatalf("the new conversation must hold the new message only, not the replay: %v", got)
	}
	if got := binMessages(h.show(id)); len(got) != 2 {
		t.Fatalf("the closed conversation changed: %v", got)
	}
}

// postSMS posts a webhook signed as the dev SMS provider signs it and wants 200.
func (h *binaryHarness) postSMS(form url.Values) {
	h.t.Helper()
	u := "http://127.0.0.1:" + strconv.Itoa(h.httpPort) + "/webhooks/sms"
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(sms.SignatureHeader, sms.Signature("dev-sms-token", u, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("webhook %s: %d, want 200", form.Get("MessageSid"), resp.StatusCode)
	}
}
