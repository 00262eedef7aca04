package tests

import (
	"testing"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// Rules 1–5 and the address checks: each refusal carries its code, and a
// refused start leaves no conversation and no slot behind.
func TestStartRefusals(t *testing.T) {
	c := env.Tenant(t)
	cases := []struct {
		name string
		opts conversations.StartOptions
		code codes.Code
	}{
		{"rule 1: standard license", conversations.StartOptions{Agent: "carol", Channel: "sms", EntryPoint: "ep-sms"}, codes.LicenseNotPremium},
		{"rule 3: manual assignment", conversations.StartOptions{Agent: "dave", Channel: "email", EntryPoint: "ep-email", Subject: "s"}, codes.ManualAssignment},
		{"unknown agent", conversations.StartOptions{Agent: "zed", Channel: "sms", EntryPoint: "ep-sms"}, codes.UnknownAgent},
		{"rule 5: no such entry point", conversations.StartOptions{Agent: "alice", Channel: "sms", EntryPoint: "ep-fax"}, codes.NoEntryPoint},
		{"rule 5: entry point of another channel", conversations.StartOptions{Agent: "alice", Channel: "sms", EntryPoint: "ep-email"}, codes.EntryPointChannelMismatch},
		{"template not found", conversations.StartOptions{Agent: "alice", Channel: "sms", EntryPoint: "ep-sms", First: &model.Compose{Template: "nope"}}, codes.TemplateNotFound},
		{"template variable missing", conversations.StartOptions{Agent: "alice", Channel: "sms", EntryPoint: "ep-sms", First: &model.Compose{Template: "greeting"}}, codes.TemplateVariableMissing},
		{"rule 11: email needs a subject", conversations.StartOptions{Agent: "alice", Channel: "email", EntryPoint: "ep-email"}, codes.SubjectRequired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.To = newPhone()
			if tc.opts.Channel == "email" {
				tc.opts.To = newEmail()
			}
			_, err := c.Start(testContext(t), tc.opts)
			wantCode(t, err, tc.code)
		})
	}
	if _, inUse := agentInUse(t, c, "alice"); inUse != 0 {
		t.Fatalf("refused starts leaked %d slots", inUse)
	}
	list, err := c.List(testContext(t), conversations.ListFilter{Agent: "alice"})
	if err != nil || len(list) != 0 {
		t.Fatalf("refused starts left conversations: %v %v", list, err)
	}
}

func TestInvalidAddressesAreRefused(t *testing.T) {
	c := env.Tenant(t)
	for _, tc := range []struct{ channel, ep, to string }{
		{"sms", "ep-sms", "4155550199"}, // no country code
		{"sms", "ep-sms", "+1415555"},   // too short
		{"email", "ep-email", "not-an-email"},
	} {
		_, err := c.Start(testContext(t), conversations.StartOptions{Agent: "alice", Channel: model.Channel(tc.channel), EntryPoint: tc.ep, To: tc.to, Subject: "s"})
		wantCode(t, err, codes.InvalidAddress)
	}
}

// Rule 4: an idle agent cannot start; available and RONA can.
func TestAgentStateGatesStart(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	if err := c.SetAgentState(ctx, "alice", api.AgentIdle); err != nil {
		t.Fatal(err)
	}
	_, err := c.Start(ctx, conversations.StartOptions{Agent: "alice", Channel: "sms", EntryPoint: "ep-sms", To: newPhone()})
	wantCode(t, err, codes.AgentStateNotAllowed)

	if err := c.SetAgentState(ctx, "alice", api.AgentRONA); err != nil {
		t.Fatal(err)
	}
	startSMS(t, c, "alice", newPhone())
}

// Rule 8: the starting agent owns the new conversation at once.
func TestStartAutoAccepts(t *testing.T) {
	c := env.Tenant(t)
	id := startSMS(t, c, "alice", newPhone())
	st := show(t, c, id)
	if st.Status != api.StatusActive || st.Owner != "alice" || st.ID != id {
		t.Fatalf("want active and owned by alice, got %s/%s", st.Status, st.Owner)
	}
	if _, inUse := agentInUse(t, c, "alice"); inUse != 1 {
		t.Fatalf("alice should hold one slot, holds %d", inUse)
	}
}
