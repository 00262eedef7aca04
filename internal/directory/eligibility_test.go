package directory

import (
	"testing"

	"outbound/internal/codes"
	"outbound/internal/model"
)

// eligibilityDirectory has one agent per way of failing rules 1 to 3.
func eligibilityDirectory() *Directory {
	return &Directory{
		Tenant:          "t1",
		DigitalChannels: true,
		EntryPoints: []EntryPoint{
			{ID: "ep-sms", Channel: model.SMS, Address: "+14155550100", Queue: "q1"},
			{ID: "ep-email", Channel: model.Email, Address: "support@t1.example", Queue: "q1"},
		},
		Profiles: []Profile{
			{ID: "blended", Channels: map[model.Channel]Assignment{model.SMS: Auto, model.Email: Auto}, MaxOutbound: 2},
			{ID: "sms-only", Channels: map[model.Channel]Assignment{model.SMS: Auto}, MaxOutbound: 1},
			{ID: "email-manual", Channels: map[model.Channel]Assignment{model.SMS: Auto, model.Email: Manual}, MaxOutbound: 1},
		},
		Agents: []Agent{
			{ID: "alice", License: "Premium", Profile: "blended"}, // case-insensitive license
			{ID: "carol", License: "standard", Profile: "blended"},
			{ID: "sam", License: "premium", Profile: "sms-only"},
			{ID: "dave", License: "premium", Profile: "email-manual"},
		},
	}
}

func TestCheckEligibility(t *testing.T) {
	tests := []struct {
		name       string
		tweak      func(*Directory)
		agent      string
		ch         model.Channel
		entryPoint string
		want       codes.Code // "" means eligible
	}{
		{name: "eligible", agent: "alice", ch: model.Email, entryPoint: "ep-email"},
		{name: "unknown agent", agent: "zed", ch: model.SMS, entryPoint: "ep-sms", want: codes.UnknownAgent},
		{name: "digital channels disabled", tweak: func(d *Directory) { d.DigitalChannels = false },
			agent: "alice", ch: model.SMS, entryPoint: "ep-sms", want: codes.DigitalChannelsDisabled},
		{name: "license not premium", agent: "carol", ch: model.SMS, entryPoint: "ep-sms", want: codes.LicenseNotPremium},
		{name: "channel not in profile", agent: "sam", ch: model.Email, entryPoint: "ep-email", want: codes.ChannelNotInProfile},
		{name: "manual assignment", agent: "dave", ch: model.Email, entryPoint: "ep-email", want: codes.ManualAssignment},
		{name: "unknown entry point", agent: "alice", ch: model.SMS, entryPoint: "ep-fax", want: codes.NoEntryPoint},
		{name: "no entry point of the channel", tweak: func(d *Directory) { d.EntryPoints = d.EntryPoints[:1] },
			agent: "alice", ch: model.Email, entryPoint: "ep-email", want: codes.NoEntryPoint},
		{name: "entry point of the other channel", agent: "alice", ch: model.SMS, entryPoint: "ep-email", want: codes.EntryPointChannelMismatch},
		// Rules apply in order: the tenant setting is reported before the license.
		{name: "rule 1 before rule 2", tweak: func(d *Directory) { d.DigitalChannels = false },
			agent: "carol", ch: model.Email, entryPoint: "ep-sms", want: codes.DigitalChannelsDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := eligibilityDirectory()
			if tt.tweak != nil {
				tt.tweak(d)
			}
			ep, profile, err := d.CheckEligibility(tt.agent, tt.ch, tt.entryPoint)
			if tt.want == "" {
				if err != nil || ep.ID != tt.entryPoint || profile.ID == "" {
					t.Fatalf("got %+v, %+v, %v; want eligible", ep, profile, err)
				}
				return
			}
			code, msg, _ := codes.Of(err)
			if code != tt.want {
				t.Fatalf("code = %q (%v); want %s", code, err, tt.want)
			}
			if msg == "" {
				t.Error("refusal without a message")
			}
		})
	}
}
