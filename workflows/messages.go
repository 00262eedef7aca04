package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"outbound/internal/images"
	"outbound/internal/metrics"
	"outbound/internal/model"
	"outbound/internal/templates"
)

func (c *conversation) validateSend(req model.SendRequest) error {
	if err := c.ownedBy(req.Conversation, req.Agent); err != nil {
		return err
	}
	if req.Template != "" && (req.Text != "" || req.HTML != "") || req.Template == "" && req.Text == "" && req.HTML == "" {
		return badRequest("send needs text (and, for email, HTML) or a template")
	}
	if err := c.refuseOptedOut(); err != nil {
		return err
	}
	if err := c.checkEmailContent(req.Compose); err != nil {
		return err
	}
	return refuseTooLong(c.state.Channel, req.Text)
}

// checkEmailContent applies rules 12 and 13 before anything is stored or sent.
func (c *conversation) checkEmailContent(m model.Compose) error {
	if m.HTML == "" && len(m.Images) == 0 {
		return nil
	}
	if c.state.Channel != "email" {
		return badRequest("HTML and images are for email conversations")
	}
	p := c.state.Policy
	if err := images.CheckAllowed(p.PCIEmail, p.InlineImagesExempt, m.Images); err != nil {
		return err
	}
	if err := images.CheckAll(m.Images); err != nil {
		return err
	}
	return images.CheckHTML(m.HTML)
}

// send renders the agent's message, adds it to the transcript and delivers it;
// the answer carries the delivery status (sent, or failed with the reason).
func (c *conversation) send(ctx workflow.Context, req model.SendRequest) (model.MessageResult, error) {
	rendered := model.Rendered{Text: req.Text}
	if req.HTML != "" || len(req.Images) > 0 {
		body := model.EmailBodyRequest{Tenant: c.state.Tenant, Conversation: c.state.ID, HTML: req.HTML, Images: req.Images}
		if err := workflow.ExecuteActivity(quick(ctx, "host inline images"), a.PrepareEmailBody, body).Get(ctx, &rendered.HTML); err != nil {
			return model.MessageResult{}, err
		}
		if rendered.Text == "" {
			rendered.Text = templates.PlainText(rendered.HTML)
		}
	}
	if req.Template != "" {
		render := model.RenderRequest{Tenant: c.state.Tenant, Channel: c.state.Channel, Compose: req.Compose}
		if err := workflow.ExecuteLocalActivity(local(ctx), a.Render, render).Get(ctx, &rendered); err != nil {
			return model.MessageResult{}, err
		}
		// The conversation may have moved on while the template rendered.
		if err := c.ownedBy(req.Conversation, req.Agent); err != nil {
			return model.MessageResult{}, err
		}
		if err := refuseTooLong(c.state.Channel, rendered.Text); err != nil {
			return model.MessageResult{}, err
		}
	}
	m := c.deliver(ctx, c.addOutbound(ctx, req.Agent, rendered))
	return model.MessageResult{MessageID: m.ID, Status: m.Status, Error: m.Error}, nil
}

// sendAsync adds a message and delivers it in the background (the start's
// first message: the conversation exists before the provider answers).
func (c *conversation) sendAsync(ctx workflow.Context, agent string, r model.Rendered) {
	id := c.addOutbound(ctx, agent, r)
	c.h.inFlight++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { c.h.inFlight-- }()
		c.deliver(ctx, id)
	})
}

func (c *conversation) validateReply(req model.ReplyRequest) error {
	if err := c.mine(req.Conversation); err != nil {
		return err
	}
	if strings.TrimSpace(req.Text) == "" && strings.TrimSpace(req.HTML) == "" {
		return badRequest("a reply needs text")
	}
	return nil
}

// reply records a customer message; it is accepted in every open status, so a
// customer is never lost while the conversation is offered or queued. A
// provider's retry of a message already recorded (same provider id) is
// answered with the first copy.
func (c *conversation) reply(ctx workflow.Context, req model.ReplyRequest) (model.MessageResult, error) {
	if m, ok := c.received(req.ProviderID); ok {
		return model.MessageResult{MessageID: m.ID, Status: m.Status}, nil
	}
	m := c.addInbound(ctx, req.CustomerMessage)
	c.applyOptOut(ctx, req.Text)
	return model.MessageResult{MessageID: m.ID, Status: m.Status}, nil
}

func (c *conversation) addInbound(ctx workflow.Context, in model.CustomerMessage) model.Message {
	m := model.Message{
		ID: c.nextMessageID(), Direction: model.Inbound, Text: in.Text, HTML: in.HTML,
		Subject: in.Subject, ProviderID: in.ProviderID, Status: model.MessageReceived, At: workflow.Now(ctx),
	}
	c.state.Messages = append(c.state.Messages, m)
	c.showDetails(ctx)
	return m
}

func (c *conversation) received(providerID string) (model.Message, bool) {
	if providerID == "" {
		return model.Message{}, false
	}
	for _, m := range c.state.Messages {
		if m.Direction == model.Inbound && m.ProviderID == providerID {
			return m, true
		}
	}
	return model.Message{}, false
}

func (c *conversation) addOutbound(ctx workflow.Context, agent string, r model.Rendered) string {
	subject := c.state.Subject
	if r.Subject != "" && subject == "" {
		subject = r.Subject
	}
	c.state.Messages = append(c.state.Messages, model.Message{
		ID: c.nextMessageID(), Direction: model.Outbound, Agent: agent, Text: r.Text,
		HTML: r.HTML, Subject: subject, Template: r.Template, Status: model.MessageQueued, At: workflow.Now(ctx),
	})
	c.showDetails(ctx)
	return c.state.Messages[len(c.state.Messages)-1].ID
}

func (c *conversation) nextMessageID() string {
	c.state.NextMessage++
	return fmt.Sprintf("m%d", c.state.NextMessage)
}

// deliver runs the channel activity for message id, records the outcome and
// returns the message. The idempotency key (conversation + message) keeps
// retries from sending twice. The message is found again by id after the
// activity: the transcript may have been archived meanwhile.
func (c *conversation) deliver(ctx workflow.Context, id string) model.Message {
	m := c.state.Messages[c.outboundMessage(id)]
	d := model.Delivery{
		Tenant: c.state.Tenant, Conversation: c.state.ID, MessageID: m.ID,
		From: c.state.EntryAddress, To: c.state.Customer, Subject: m.Subject,
		Text: m.Text, HTML: m.HTML, IdempotencyKey: c.state.ID + "/" + m.ID,
	}
	activity := a.DeliverSMS
	if c.state.Channel == "email" {
		activity = a.DeliverEmail
	}
	summary := fmt.Sprintf("deliver %s #%s", strings.ToUpper(c.state.Channel), strings.TrimPrefix(m.ID, "m"))
	out, err := c.runDelivery(ctx, activity, d, summary)
	i := c.outboundMessage(id)
	if err != nil {
		c.setStatus(i, model.MessageFailed, failureReason(err))
		c.countMessage(ctx, metrics.MessagesFailed)
		return c.state.Messages[i]
	}
	c.countMessage(ctx, metrics.MessagesSent)
	c.state.Messages[i].ProviderID, c.state.Messages[i].Segments = out.ProviderID, out.Segments
	c.setStatus(i, model.MessageSent, "")
	return c.state.Messages[i]
}

// runDelivery makes the first attempt inside the workflow task (a local
// activity: no task round trip when the provider answers at once) and falls
// back to the retried activity only when that attempt fails transiently.
func (c *conversation) runDelivery(ctx workflow.Context, activity any, d model.Delivery, summary string) (model.Delivered, error) {
	var out model.Delivered
	if c.inTask {
		err := workflow.ExecuteLocalActivity(firstAttempt(ctx), activity, d).Get(ctx, &out)
		if err == nil || permanent(err) {
			return out, err
		}
	}
	err := workflow.ExecuteActivity(deliveryOptions(ctx, summary), activity, d).Get(ctx, &out)
	return out, err
}

func permanent(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.NonRetryable()
}

// failureReason is what the agent sees for a failed message.
func failureReason(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "the provider did not answer in time"
	}
	return err.Error()
}

// badRequest is malformed input that no SPEC code describes (the CLI refuses
// it before sending; other callers get this).
func badRequest(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, "BAD_REQUEST", nil)
}
