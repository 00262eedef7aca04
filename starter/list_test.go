package main

import (
	"strings"
	"testing"

	"outbound/internal/address"
	"outbound/internal/codes"
	"outbound/internal/conversations"
)

var testKey = []byte("test-key")

func TestListQuery(t *testing.T) {
	const base = "WorkflowType = 'Conversation' AND ExecutionStatus != 'ContinuedAsNew' AND "
	smsKey := address.Key(testKey, "+14155550123")
	emailKey := address.Key(testKey, "jane@example.com")
	tests := []struct {
		name   string
		tenant string
		f      conversations.ListFilter
		want   string
	}{
		{"all", "acme", conversations.ListFilter{},
			base + "ConversationStatus IN ('active','offered','queued','closed') AND Tenant = 'acme'"},
		{"open", "acme", conversations.ListFilter{Open: true},
			base + "ConversationStatus IN ('active','offered','queued') AND ExecutionStatus = 'Running' AND Tenant = 'acme'"},
		{"agent", "acme", conversations.ListFilter{Agent: "alice"},
			base + "ConversationStatus IN ('active','offered','queued','closed') AND Tenant = 'acme' AND OwnerAgent = 'alice'"},
		{"sms customer, normalised", "acme", conversations.ListFilter{Customer: " +1 (415) 555-0123 "},
			base + "ConversationStatus IN ('active','offered','queued','closed') AND Tenant = 'acme' AND CustomerKey = '" + smsKey + "'"},
		{"email customer, domain lower-cased", "acme", conversations.ListFilter{Customer: "jane@EXAMPLE.com", Agent: "bob", Open: true},
			base + "ConversationStatus IN ('active','offered','queued') AND ExecutionStatus = 'Running' AND Tenant = 'acme' AND OwnerAgent = 'bob' AND CustomerKey = '" + emailKey + "'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conversations.ListQuery(testKey, tt.tenant, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("query\n %s\nwant\n %s", got, tt.want)
			}
		})
	}
}

func TestListQueryRefusesUnsafeValues(t *testing.T) {
	for _, tt := range []struct {
		tenant string
		f      conversations.ListFilter
	}{
		{"acme", conversations.ListFilter{Agent: "x' OR '1'='1"}},
		{"acme", conversations.ListFilter{Agent: `back\slash`}},
		{"acme", conversations.ListFilter{Agent: "new\nline"}},
		{"ac'me", conversations.ListFilter{}},
	} {
		q, err := conversations.ListQuery(testKey, tt.tenant, tt.f)
		if err == nil {
			t.Errorf("ListQuery(%q, %+v) = %q, want a refusal", tt.tenant, tt.f, q)
			continue
		}
		var buf strings.Builder
		if code := report(&buf, err); code != exitUsage || !strings.HasPrefix(buf.String(), "error: BAD_REQUEST: ") {
			t.Errorf("unsafe value reported as %q (exit %d), want BAD_REQUEST, exit 2", buf.String(), code)
		}
	}
}

func TestListQueryInvalidCustomer(t *testing.T) {
	for _, addr := range []string{"14155550123", "+1415", "not an address", "+jane"} {
		_, err := conversations.ListQuery(testKey, "acme", conversations.ListFilter{Customer: addr})
		if !codes.Is(err, codes.InvalidAddress) {
			t.Errorf("customer %q: got %v, want INVALID_ADDRESS", addr, err)
		}
	}
}
