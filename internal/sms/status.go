package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"outbound/internal/model"
)

// Outcome maps a provider's MessageStatus (and ErrorCode) to the message
// status to record and the error the agent sees: "" while the message has no
// final status yet (queued, sending, sent: the delivery's own answer records
// "sent"); known is false for a status the provider does not have.
func Outcome(providerStatus, errorCode string) (status, errText string, known bool) {
	switch providerStatus {
	case "accepted", "scheduled", "queued", "sending", "sent":
		return "", "", true
	case "delivered", "read":
		return model.MessageDelivered, "", true
	case "undelivered", "failed", "canceled":
		errText = "provider reported " + providerStatus
		if errorCode != "" && errorCode != "0" {
			errText = "provider error " + errorCode
		}
		return model.MessageFailed, errText, true
	}
	return "", "", false
}

// Status asks the provider what became of the message with this sid (the
// Message resource, GET .../Messages/{sid}.json): its status as Outcome
// maps it. A sid the provider does not know is a permanent error.
func (c *Client) Status(ctx context.Context, sid string) (model.ProviderStatus, error) {
	if c.BaseURL == "" || c.AccountSID == "" {
		return model.ProviderStatus{}, errors.New("sms: client needs BaseURL and AccountSID")
	}
	endpoint := strings.TrimRight(c.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(c.AccountSID) +
		"/Messages/" + url.PathEscape(sid) + ".json"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return model.ProviderStatus{}, fmt.Errorf("sms: build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(c.AccountSID, c.AuthToken)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return model.ProviderStatus{}, fmt.Errorf("sms: get message: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return model.ProviderStatus{}, fmt.Errorf("sms: read message (HTTP %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return model.ProviderStatus{}, classify(parseAPIError(resp.StatusCode, raw))
	}
	var m struct {
		Status    string      `json:"status"`
		ErrorCode json.Number `json:"error_code"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return model.ProviderStatus{}, fmt.Errorf("sms: unreadable message resource: %w", err)
	}
	status, errText, known := Outcome(m.Status, m.ErrorCode.String())
	if !known {
		return model.ProviderStatus{}, fmt.Errorf("sms: unknown message status %q", m.Status)
	}
	return model.ProviderStatus{ProviderID: sid, Status: status, Error: errText}, nil
}
