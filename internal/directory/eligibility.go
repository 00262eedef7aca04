package directory

import (
	"strings"

	"outbound/internal/codes"
	"outbound/internal/model"
)

// premiumLicense is the license outbound requires (rule 1).
const premiumLicense = "premium"

// CheckEligibility applies the configuration rules for an agent starting an
// outbound conversation on ch from the entry point: rules 1, 2, 3 and 5, in
// that order, so the refusal names the most fundamental problem. Rule 4 (the
// agent's live state) is not configuration and is checked by the caller.
func (d *Directory) CheckEligibility(agentID string, ch model.Channel, entryPointID string) (EntryPoint, Profile, error) {
	agent, ok := d.Agent(agentID)
	if !ok {
		return EntryPoint{}, Profile{}, codes.New(codes.UnknownAgent, "agent %q is not in tenant %s", agentID, d.Tenant)
	}
	profile, err := d.checkAgent(agent, ch)
	if err != nil {
		return EntryPoint{}, Profile{}, err
	}
	ep, err := d.checkEntryPoint(ch, entryPointID)
	if err != nil {
		return EntryPoint{}, Profile{}, err
	}
	return ep, profile, nil
}

// checkAgent applies rules 1 to 3: tenant and license, then the profile.
func (d *Directory) checkAgent(agent Agent, ch model.Channel) (Profile, error) {
	if !d.DigitalChannels {
		return Profile{}, codes.New(codes.DigitalChannelsDisabled, "tenant %s does not have digital channels enabled", d.Tenant)
	}
	if !strings.EqualFold(strings.TrimSpace(agent.License), premiumLicense) {
		return Profile{}, codes.New(codes.LicenseNotPremium, "agent %s has a %q license; outbound needs premium", agent.ID, agent.License)
	}
	profile, ok := d.Profile(agent.Profile)
	if !ok {
		return Profile{}, codes.New(codes.ChannelNotInProfile, "agent %s has no known multimedia profile (%q)", agent.ID, agent.Profile)
	}
	assignment, ok := profile.Channels[ch]
	if !ok {
		return Profile{}, codes.New(codes.ChannelNotInProfile, "profile %s of agent %s does not include %s", profile.ID, agent.ID, ch)
	}
	if assignment != Auto {
		return Profile{}, codes.New(codes.ManualAssignment, "profile %s assigns %s manually; outbound %s is unavailable to agent %s", profile.ID, ch, ch, agent.ID)
	}
	return profile, nil
}

// checkEntryPoint applies rule 5: the "From" is a configured entry point of ch.
func (d *Directory) checkEntryPoint(ch model.Channel, entryPointID string) (EntryPoint, error) {
	if !d.hasEntryPointFor(ch) {
		return EntryPoint{}, codes.New(codes.NoEntryPoint, "tenant %s has no %s entry point configured", d.Tenant, ch)
	}
	ep, ok := d.EntryPoint(entryPointID)
	if !ok {
		return EntryPoint{}, codes.New(codes.NoEntryPoint, "entry point %q is not configured", entryPointID)
	}
	if ep.Channel != ch {
		return EntryPoint{}, codes.New(codes.EntryPointChannelMismatch, "entry point %s is for %s, not %s", ep.ID, ep.Channel, ch)
	}
	return ep, nil
}

func (d *Directory) hasEntryPointFor(ch model.Channel) bool {
	_, ok := find(d.EntryPoints, func(e EntryPoint) bool { return e.Channel == ch })
	return ok
}
