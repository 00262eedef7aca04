package conversations

import (
	"context"
	"sort"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"outbound/internal/address"
	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// ConversationSummary is one line of `list`.
type ConversationSummary struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	Channel    string    `json:"channel"`
	EntryPoint string    `json:"entryPoint"`
	Owner      string    `json:"owner"`
	StartedAt  time.Time `json:"startedAt"`
}

// ListFilter narrows `list`; the zero value lists every conversation of the tenant.
type ListFilter struct {
	Agent    string // owner agent
	Customer string // raw customer address: E.164 (starts with +) or email
	Open     bool   // only active, offered and queued conversations
}

// List returns the tenant's conversations matching f, newest first. It reads
// the search attributes the conversation workflow keeps current, so it needs
// no query to the workflows themselves.
func (c *Client) List(ctx context.Context, f ListFilter) ([]ConversationSummary, error) {
	tenant, err := c.tenant(ctx)
	if err != nil {
		return nil, err
	}
	query, err := ListQuery(c.IDKey, tenant, f)
	if err != nil {
		return nil, err
	}
	var out []ConversationSummary
	var token []byte
	for {
		resp, err := c.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return nil, err
		}
		for _, info := range resp.GetExecutions() {
			fields := info.GetSearchAttributes().GetIndexedFields()
			s := ConversationSummary{
				ID:         keyword(fields, api.AttrConversationID),
				Status:     keyword(fields, api.AttrConversationStatus),
				Channel:    keyword(fields, api.AttrChannel),
				EntryPoint: keyword(fields, api.AttrEntryPoint),
				Owner:      keyword(fields, api.AttrOwnerAgent),
				StartedAt:  info.GetStartTime().AsTime(),
			}
			if s.ID == "" {
				s.ID = api.ConversationID(info.GetExecution().GetWorkflowId(), info.GetFirstRunId())
			}
			out = append(out, s)
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].StartedAt.Equal(out[j].StartedAt) {
			return out[i].StartedAt.After(out[j].StartedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// ListQuery builds the visibility query of List. It is pure (no server call):
// the customer address is normalised and hashed with idKey exactly as Start
// does. Values are quoted; one holding a quote, a backslash or a control
// character is refused rather than escaped.
func ListQuery(idKey []byte, tenant string, f ListFilter) (string, error) {
	clauses := []string{
		"WorkflowType = '" + api.ConversationWorkflow + "'",
		"ExecutionStatus != 'ContinuedAsNew'",
	}
	if f.Open {
		clauses = append(clauses,
			api.AttrConversationStatus.GetName()+" IN ('active','offered','queued')",
			"ExecutionStatus = 'Running'")
	} else {
		clauses = append(clauses, api.AttrConversationStatus.GetName()+" IN ('active','offered','queued','closed')")
	}
	add := func(key temporal.SearchAttributeKeyKeyword, what, value string) error {
		q, err := quote(what, value)
		if err != nil {
			return err
		}
		clauses = append(clauses, key.GetName()+" = "+q)
		return nil
	}
	if tenant != "" {
		if err := add(api.AttrTenant, "tenant", tenant); err != nil {
			return "", err
		}
	}
	if f.Agent != "" {
		if err := add(api.AttrOwnerAgent, "agent", f.Agent); err != nil {
			return "", err
		}
	}
	if f.Customer != "" {
		normalized, err := normalizeAny(f.Customer)
		if err != nil {
			return "", err
		}
		if err := add(api.AttrCustomerKey, "customer key", address.Key(idKey, normalized)); err != nil {
			return "", err
		}
	}
	return strings.Join(clauses, " AND "), nil
}

// normalizeAny reads an address of either channel: an E.164 number when it
// starts with '+', else (or failing that) an email address.
func normalizeAny(raw string) (string, error) {
	if strings.HasPrefix(strings.TrimSpace(raw), "+") {
		if n, err := address.Normalize(model.SMS, raw); err == nil {
			return n, nil
		}
	}
	if n, err := address.Normalize(model.Email, raw); err == nil {
		return n, nil
	}
	return "", codes.New(codes.InvalidAddress, "the customer is neither an E.164 mobile number nor an email address")
}

// quote returns value as a visibility query string literal.
func quote(what, value string) (string, error) {
	for _, r := range value {
		if r == '\'' || r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
			return "", codes.New(codes.BadRequest, "%s %q: quotes, backslashes and control characters are not allowed", what, value)
		}
	}
	return "'" + value + "'", nil
}

// keyword decodes one keyword search attribute of a visibility record; the
// server sends them as plain JSON payloads (never through a payload codec).
func keyword(fields map[string]*commonpb.Payload, key temporal.SearchAttributeKeyKeyword) string {
	p, ok := fields[key.GetName()]
	if !ok {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		return ""
	}
	return s
}
