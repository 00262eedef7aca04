package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/zap"

	"outbound/internal/gateway"
	"outbound/internal/sms"
)

// FuzzWebhooks: no form posted to a webhook, signed or not, makes the
// gateway panic or answer anything but a documented status.
func FuzzWebhooks(f *testing.F) {
	f.Add("/webhooks/sms", inboundForm("SM0001").Encode(), true)
	f.Add("/webhooks/sms", "Body=%zz&From=", true)
	f.Add("/webhooks/sms/status?conversation=c&message=m1", statusForm("SM0002", "delivered", "").Encode(), true)
	f.Add("/webhooks/sms", strings.Repeat("a=b&", 1000), false)
	const public = "http://gateway.test"
	h := gateway.New(gateway.Config{PublicURL: public, SMSAuthToken: token}, &fakeConvs{}, zap.NewNop())
	f.Fuzz(func(t *testing.T, path, body string, sign bool) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(http.MethodPost, public+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if form, err := url.ParseQuery(body); err == nil && sign {
			req.Header.Set(sms.SignatureHeader, sms.Signature(token, public+path, form))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed,
			http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity, http.StatusServiceUnavailable,
			http.StatusMovedPermanently, http.StatusTemporaryRedirect: // the router's own redirect to a clean path ("/." → "/")
		default:
			t.Fatalf("POST %s: %d %s", path, w.Code, w.Body)
		}
	})
}
