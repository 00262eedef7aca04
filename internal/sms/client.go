// Package sms sends text messages through a Twilio-compatible Messages API
// (Twilio itself, or sinks.SMSSink in development).
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"outbound/internal/delivery"
)

// Client posts messages for one account. HTTP is injected so callers control
// timeouts and transport; when nil a client with a 30s timeout is used rather
// than http.DefaultClient, which never times out.
type Client struct {
	BaseURL    string // e.g. "https://api.twilio.com" or SMSSink.URL()
	AccountSID string
	AuthToken  string
	HTTP       *http.Client
}

// Sent is the provider's acknowledgement: the message is accepted and queued,
// not yet delivered; delivery status arrives later.
type Sent struct {
	SID      string
	Status   string
	Segments int
}

// IdempotencyHeader makes a retried POST return the first response instead of
// sending the text again, which is what gives activity retries exactly-once
// effect.
const IdempotencyHeader = "I-Twilio-Idempotency-Token"

var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// maxResponse bounds how much of a response we read; Twilio answers are a few KB.
const maxResponse = 1 << 20

// Send submits one message without a status callback; see SendWithCallback.
func (c *Client) Send(ctx context.Context, from, to, body, idempotencyKey string) (Sent, error) {
	return c.SendWithCallback(ctx, from, to, body, idempotencyKey, "")
}

// SendWithCallback submits one message. idempotencyKey should be stable across
// retries of the same logical message. statusCallbackURL, when not empty, is
// where the provider posts the message's later statuses (sent, delivered,
// undelivered, failed), signed with the auth token; see StatusCallbackURL.
// Errors are transient unless delivery.IsPermanent; provider errors can be
// inspected with errors.As(err, **APIError). Neither the auth token nor the
// body ever appears in a returned error.
func (c *Client) SendWithCallback(ctx context.Context, from, to, body, idempotencyKey, statusCallbackURL string) (Sent, error) {
	req, err := c.newRequest(ctx, from, to, body, idempotencyKey, statusCallbackURL)
	if err != nil {
		return Sent{}, delivery.Permanent(err)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		// Network failure or timeout: the request may or may not have reached
		// the provider; a retry with the same idempotency key is safe.
		return Sent{}, fmt.Errorf("sms: post message: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return Sent{}, fmt.Errorf("sms: read response (HTTP %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Sent{}, classify(parseAPIError(resp.StatusCode, raw))
	}
	return parseSent(raw)
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

func (c *Client) newRequest(ctx context.Context, from, to, body, key, statusCallback string) (*http.Request, error) {
	if c.BaseURL == "" || c.AccountSID == "" {
		return nil, errors.New("sms: client needs BaseURL and AccountSID")
	}
	endpoint := strings.TrimRight(c.BaseURL, "/") +
		"/2010-04-01/Accounts/" + url.PathEscape(c.AccountSID) + "/Messages.json"
	form := url.Values{"To": {to}, "From": {from}, "Body": {body}}
	if statusCallback != "" {
		form.Set("StatusCallback", statusCallback)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("sms: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(c.AccountSID, c.AuthToken)
	if key != "" {
		req.Header.Set(IdempotencyHeader, key)
	}
	return req, nil
}

// StatusCallbackPath is the gateway's route for delivery-status callbacks.
const StatusCallbackPath = "/webhooks/sms/status"

// StatusCallbackURL is the StatusCallback to send with a message: the
// gateway's status route under publicURL, naming the conversation and the
// message the status is for. The gateway reads them back from the query
// string, which the provider's signature covers.
func StatusCallbackURL(publicURL, conversation, messageID string) string {
	q := url.Values{"conversation": {conversation}, "message": {messageID}}
	return strings.TrimRight(publicURL, "/") + StatusCallbackPath + "?" + q.Encode()
}

// messageResource is the subset of Twilio's Message resource we use.
// num_segments is a JSON string in Twilio's API ("1"), so accept both forms.
type messageResource struct {
	SID         string      `json:"sid"`
	Status      string      `json:"status"`
	NumSegments json.Number `json:"num_segments"`
}

func parseSent(raw []byte) (Sent, error) {
	var m messageResource
	if err := json.Unmarshal(raw, &m); err != nil || m.SID == "" {
		// Accepted but unreadable: transient, so the retry (same idempotency
		// key) fetches the original answer instead of sending again.
		return Sent{}, fmt.Errorf("sms: unexpected success response without a message sid")
	}
	segments, _ := strconv.Atoi(m.NumSegments.String())
	return Sent{SID: m.SID, Status: m.Status, Segments: segments}, nil
}
