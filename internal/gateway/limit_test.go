package gateway_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap"

	"outbound/internal/gateway"
)

func startLimitedGateway(t *testing.T, perSecond float64) (string, *fakeConvs) {
	t.Helper()
	convs := &fakeConvs{}
	srv := httptest.NewUnstartedServer(nil)
	public := "http://" + srv.Listener.Addr().String()
	h := gateway.New(gateway.Config{PublicURL: public, SMSAuthToken: token}, convs, zap.NewNop())
	srv.Config.Handler = gateway.Limit(h, gateway.NewLimits(perSecond))
	srv.Start()
	t.Cleanup(srv.Close)
	return public, convs
}

// One address gets its burst, then 429 with Retry-After; nothing it sent
// past the limit reaches a conversation.
func TestGatewayLimitsRequestsPerAddress(t *testing.T) {
	base, convs := startLimitedGateway(t, 1) // a burst of 10
	began := time.Now()
	answered := map[int]int{}
	for i := range 15 {
		a := postSigned(t, base, "/webhooks/sms", inboundForm(fmt.Sprintf("SM%04d", i)))
		answered[a.status]++
		if a.status == http.StatusTooManyRequests && a.header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	// A token a second: a slow machine earns one more for each second.
	most := 10 + int(time.Since(began).Seconds()) + 1
	if ok := answered[http.StatusOK]; ok < 10 || ok > most || answered[http.StatusTooManyRequests] != 15-ok {
		t.Fatalf("answers %v, want 10 to %d accepted and the rest 429", answered, most)
	}
	if got := len(convs.inboundCalls()); got != answered[http.StatusOK] {
		t.Fatalf("%d messages reached conversations, want the %d accepted", got, answered[http.StatusOK])
	}
}

// After 20 failed signatures an address is refused even a signed request,
// so nobody can try tokens at the request rate.
func TestGatewayRefusesAnAddressThatKeepsFailingSignatures(t *testing.T) {
	base, convs := startLimitedGateway(t, 1000)
	for i := range 20 {
		if a := postForm(t, base, "/webhooks/sms", inboundForm(fmt.Sprintf("SMf%03d", i)), "Zm9yZ2Vk"); a.status != http.StatusForbidden {
			t.Fatalf("forged webhook %d answered %d, want 403", i, a.status)
		}
	}
	a := postSigned(t, base, "/webhooks/sms", inboundForm("SMgood"))
	if a.status != http.StatusTooManyRequests {
		t.Fatalf("after 20 forgeries a signed webhook answered %d, want 429", a.status)
	}
	if n := len(convs.inboundCalls()); n != 0 {
		t.Fatalf("%d messages reached conversations", n)
	}
}
