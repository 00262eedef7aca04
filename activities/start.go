package activities

import (
	"cmp"
	"context"
	"strings"

	"go.temporal.io/sdk/activity"

	"outbound/internal/address"
	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
)

// PrepareStart runs the start rules that need the directory (1–3, 5) and
// checks and normalises the customer address, so a refused start changes
// nothing. It answers what the conversation keeps of the tenant's policy.
func (a *Activities) PrepareStart(ctx context.Context, req api.StartRequest) (model.PreparedStart, error) {
	dir, err := a.directory(req.Tenant)
	if err != nil {
		return model.PreparedStart{}, err
	}
	ep, err := eligibility(dir, req)
	if err != nil {
		return model.PreparedStart{}, err
	}
	customer, err := address.Normalize(req.Channel, req.To)
	if err != nil {
		return model.PreparedStart{}, err
	}
	if req.Channel == model.Email && req.Inbound == nil && strings.TrimSpace(req.Subject) == "" {
		return model.PreparedStart{}, codes.New(codes.SubjectRequired, "an email conversation needs a subject")
	}
	key := address.Key(a.IDKey, customer)
	if id := activity.GetInfo(ctx).WorkflowExecution.ID; id != api.ConversationWorkflowID(req.Tenant, req.EntryPoint, key) {
		return model.PreparedStart{}, codes.New(codes.TaskCreationFailed,
			"the workflow ID does not match the customer: the client and the worker use different %s values", address.KeyEnv)
	}
	return model.PreparedStart{Customer: customer, CustomerKey: key, EntryAddress: ep.Address, Policy: policy(dir, ep)}, nil
}

// eligibility applies rules 1–3 and 5 to an agent's start; a conversation the
// customer started only needs an entry point of its channel.
func eligibility(dir *directory.Directory, req api.StartRequest) (directory.EntryPoint, error) {
	if req.Inbound == nil {
		ep, _, err := dir.CheckEligibility(req.Agent, req.Channel, req.EntryPoint)
		return ep, err
	}
	ep, ok := dir.EntryPoint(req.EntryPoint)
	if !ok || ep.Channel != req.Channel {
		return ep, codes.New(codes.NoEntryPoint, "no %s entry point %q", req.Channel, req.EntryPoint)
	}
	return ep, nil
}

func policy(dir *directory.Directory, ep directory.EntryPoint) model.Policy {
	p := model.Policy{
		TransferOfferTimeout: dir.TransferOfferTimeout,
		WrapUp: model.WrapUpPolicy{
			Timeout:       dir.WrapUpTimeout,
			Reasons:       dir.WrapUpReasons,
			DefaultReason: dir.DefaultWrapUpReason,
		},
		EntryQueue:         ep.Queue,
		PCIEmail:           dir.PCIEmail,
		InlineImagesExempt: dir.InlineImagesExempt,
		DeliveryCheckAfter: cmp.Or(dir.DeliveryCheckAfter, directory.DefaultDeliveryCheckAfter),
	}
	for _, q := range dir.Queues {
		p.Queues = append(p.Queues, q.ID)
	}
	for _, f := range dir.Flows {
		if f.Triggerable() {
			p.Flows = append(p.Flows, f.ID)
		}
	}
	return p
}
