package activities

import (
	"context"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"outbound/internal/address"
	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
	"outbound/internal/sms"
	"outbound/internal/templates"
)

// PrepareStart runs the start rules that need the directory (1–3, 5), checks
// and normalises the customer address, and renders the first message, so a
// refused start changes nothing.
func (a *Activities) PrepareStart(ctx context.Context, req model.StartRequest) (model.PreparedStart, error) {
	dir, err := a.directory(req.Tenant)
	if err != nil {
		return model.PreparedStart{}, err
	}
	ch := directory.Channel(req.Channel)
	ep, maxOutbound, err := eligibility(dir, req)
	if err != nil {
		return model.PreparedStart{}, err
	}
	customer, err := address.Normalize(ch, req.To)
	if err != nil {
		return model.PreparedStart{}, err
	}
	if ch == directory.Email && req.Inbound == nil && strings.TrimSpace(req.Subject) == "" {
		return model.PreparedStart{}, codes.New(codes.SubjectRequired, "an email conversation needs a subject")
	}
	key := address.Key(a.IDKey, customer)
	if id := activity.GetInfo(ctx).WorkflowExecution.ID; id != model.ConversationWorkflowID(req.Tenant, req.EntryPoint, key) {
		return model.PreparedStart{}, codes.New(codes.TaskCreationFailed,
			"the workflow ID does not match the customer: the client and the worker use different %s values", address.KeyEnv)
	}
	prepared := model.PreparedStart{
		Customer:     customer,
		CustomerKey:  key,
		EntryAddress: ep.Address,
		Agent:        agentConfig(dir, req.Agent, maxOutbound),
		Policy:       policy(dir, ep),
	}
	if req.First != nil {
		first, err := render(dir, ch, *req.First)
		if err != nil {
			return model.PreparedStart{}, err
		}
		if ch == directory.SMS {
			if err := sms.CheckLength(first.Text); err != nil {
				return model.PreparedStart{}, err
			}
		}
		if err := a.firstEmailBody(ctx, req, &first); err != nil {
			return model.PreparedStart{}, err
		}
		prepared.First = &first
	}
	return prepared, nil
}

// firstEmailBody hosts the first message's inline images and sanitises its
// HTML, as a later send does (rules 12, 13).
func (a *Activities) firstEmailBody(ctx context.Context, req model.StartRequest, first *model.Rendered) error {
	if req.First.HTML == "" && len(req.First.Images) == 0 {
		return nil
	}
	if req.Channel != string(directory.Email) {
		return temporal.NewNonRetryableApplicationError("HTML and images are for email conversations", "BAD_REQUEST", nil)
	}
	info := activity.GetInfo(ctx).WorkflowExecution
	html, err := a.PrepareEmailBody(ctx, model.EmailBodyRequest{
		Tenant: req.Tenant, Conversation: model.ConversationID(info.ID, info.RunID),
		HTML: req.First.HTML, Images: req.First.Images,
	})
	if err != nil {
		return err
	}
	first.HTML = html
	if first.Text == "" {
		first.Text = templates.PlainText(html)
	}
	return nil
}

// eligibility applies rules 1–3 and 5 to an agent's start; a conversation the
// customer started only needs an entry point of its channel.
func eligibility(dir *directory.Directory, req model.StartRequest) (directory.EntryPoint, int, error) {
	if req.Inbound == nil {
		ep, profile, err := dir.CheckEligibility(req.Agent, directory.Channel(req.Channel), req.EntryPoint)
		return ep, profile.MaxOutbound, err
	}
	ep, ok := dir.EntryPoint(req.EntryPoint)
	if !ok || string(ep.Channel) != req.Channel {
		return ep, 0, codes.New(codes.NoEntryPoint, "no %s entry point %q", req.Channel, req.EntryPoint)
	}
	return ep, 0, nil
}

// Render renders an agent's message (run as a local activity: no I/O).
func (a *Activities) Render(ctx context.Context, req model.RenderRequest) (model.Rendered, error) {
	dir, err := a.directory(req.Tenant)
	if err != nil {
		return model.Rendered{}, err
	}
	return render(dir, directory.Channel(req.Channel), req.Compose)
}

func render(dir *directory.Directory, ch directory.Channel, c model.Compose) (model.Rendered, error) {
	if c.Template == "" {
		return model.Rendered{Text: c.Text}, nil
	}
	tpl, ok := dir.Template(c.Template)
	if !ok {
		return model.Rendered{}, codes.New(codes.TemplateNotFound, "no template %q", c.Template)
	}
	subject, body, err := templates.Render(ch, tpl, c.Vars)
	if err != nil {
		return model.Rendered{}, err
	}
	out := model.Rendered{Text: body, Subject: subject, Template: tpl.ID}
	if ch == directory.Email {
		out.HTML, out.Text = body, templates.PlainText(body)
	}
	return out, nil
}

func agentConfig(dir *directory.Directory, agent string, maxOutbound int) model.AgentConfig {
	a, _ := dir.Agent(agent)
	return model.AgentConfig{Tenant: dir.Tenant, ID: agent, Name: a.Name, MaxOutbound: maxOutbound}
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
