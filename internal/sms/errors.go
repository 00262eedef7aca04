package sms

import (
	"encoding/json"
	"fmt"
	"net/http"

	"outbound/internal/delivery"
)

// APIError is a non-2xx answer from the Messages API. Code is Twilio's error
// code (e.g. 21211 invalid To number, 21610 recipient unsubscribed), 0 when the
// body was not a Twilio error document.
type APIError struct {
	HTTPStatus int
	Code       int
	Message    string
}

func (e *APIError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("sms: provider rejected message: HTTP %d, code %d: %s", e.HTTPStatus, e.Code, e.Message)
	}
	return fmt.Sprintf("sms: provider answered HTTP %d: %s", e.HTTPStatus, e.Message)
}

// Permanent reports whether resending the identical request cannot succeed:
// every 4xx except 408 (timeout) and 429 (rate limited). 5xx is the provider's
// own trouble and is worth retrying.
func (e *APIError) Permanent() bool {
	s := e.HTTPStatus
	return s >= 400 && s < 500 && s != http.StatusRequestTimeout && s != http.StatusTooManyRequests
}

// twilioError is Twilio's error document: {"code":21211,"message":"...","status":400}.
type twilioError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func parseAPIError(status int, raw []byte) *APIError {
	e := &APIError{HTTPStatus: status}
	var te twilioError
	if json.Unmarshal(raw, &te) == nil && (te.Code != 0 || te.Message != "") {
		e.Code, e.Message = te.Code, te.Message
	} else {
		// Not JSON (a proxy's HTML page, say): keep the status text only, not
		// the raw body, which could echo request data back.
		e.Message = http.StatusText(status)
	}
	return e
}

func classify(e *APIError) error {
	if e.Permanent() {
		return delivery.Permanent(e)
	}
	return e
}
