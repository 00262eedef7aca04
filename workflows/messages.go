package workflows

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/images"
	"outbound/internal/metrics"
	"outbound/internal/model"
	"outbound/internal/sms"
)

// checkSend is the validator of send: the owner, and a message that may be
// sent on this channel.
func (c *conversation) checkSend(req api.SendRequest) error {
	if err := c.ownedBy(req.Conversation, req.Agent); err != nil {
		return err
	}
	return c.checkCompose(req.Compose)
}

// checkCompose refuses a message that can never be sent here: the start's
// first message and every later one pass it (rules 9, 12, 13, SMS length).
func (c *conversation) checkCompose(m model.Compose) error {
	if m.Template != "" && (m.Text != "" || m.HTML != "") || m.Template == "" && m.Text == "" && m.HTML == "" {
		return codes.New(codes.BadRequest, "a message is text, HTML (email) or a template; a template comes without text or HTML")
	}
	if n := len(m.Text) + len(m.HTML); n > model.MaxBodyBytes {
		return codes.New(codes.MessageTooLong, "%d KiB of text and HTML, over the %d KiB a message may have", n>>10, model.MaxBodyBytes>>10)
	}
	if c.state.Channel == model.SMS {
		if m.HTML != "" || len(m.Images) > 0 {
			return codes.New(codes.BadRequest, "HTML and images are for email conversations")
		}
		return sms.CheckLength(m.Text)
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

// send adds the agent's message to the transcript and delivers it; the answer
// carries the delivery status (sent, or failed with the reason).
func (c *conversation) send(ctx workflow.Context, req api.SendRequest) (api.MessageResult, error) {
	return once(ctx, &c.state.Answered, req.RequestID, func() (api.MessageResult, error) {
		if err := c.checkedAfterSignals(ctx, func() error { return c.checkSend(req) }); err != nil {
			return api.MessageResult{}, err
		}
		return c.sendMessage(ctx, req)
	})
}

// sendSignal is send --async: a refusal changes nothing and is only logged.
func (c *conversation) sendSignal(ctx workflow.Context, req api.SendRequest) {
	if seen(c.state.Answered, req.RequestID) {
		return // a retry of a signal already taken
	}
	err := c.checkSend(req)
	if err == nil {
		remember(ctx, &c.state.Answered, req.RequestID, nil)
		_, err = c.sendMessage(ctx, req)
	}
	logRefused(ctx, api.ConversationSendSignal, err)
}

func (c *conversation) sendMessage(ctx workflow.Context, req api.SendRequest) (api.MessageResult, error) {
	if err := c.refuseOptedOut(); err != nil { // a STOP comes by signal: no validator sees it
		return api.MessageResult{}, err
	}
	rendered, err := c.compose(ctx, req.Compose)
	if err != nil {
		return api.MessageResult{}, err
	}
	// The conversation may have moved on while the message was composed.
	if err := c.ownedBy(req.Conversation, req.Agent); err != nil {
		return api.MessageResult{}, err
	}
	if err := c.refuseOptedOut(); err != nil {
		return api.MessageResult{}, err
	}
	m := c.deliver(ctx, c.addOutbound(ctx, req.Agent, rendered, req.RequestID))
	return api.MessageResult{MessageID: m.ID, Status: m.Status, Error: m.Error}, nil
}

// compose makes a checked message ready to deliver: plain text as it is,
// anything else (a template, HTML, images) through the ComposeMessage
// activity, the one path of every agent message.
func (c *conversation) compose(ctx workflow.Context, m model.Compose) (model.Rendered, error) {
	if m.Template == "" && m.HTML == "" && len(m.Images) == 0 {
		return model.Rendered{Text: m.Text}, nil
	}
	req := model.ComposeRequest{Tenant: c.state.Tenant, Conversation: c.state.ID, Channel: c.state.Channel, Compose: m}
	var out model.Rendered
	err := workflow.ExecuteLocalActivity(inTask(ctx), a.ComposeMessage, req).Get(ctx, &out)
	return out, err
}

func (c *conversation) checkReply(req api.ReplyRequest) error {
	if err := c.mine(req.Conversation); err != nil {
		return err
	}
	if strings.TrimSpace(req.Text) == "" && strings.TrimSpace(req.HTML) == "" && len(req.Media) == 0 {
		return codes.New(codes.BadRequest, "a reply needs text or media")
	}
	return nil
}

// reply records a customer message; it is accepted in every open status, so a
// customer is never lost while the conversation is offered or queued. A
// provider's retry of a message already recorded (same provider id) is
// answered with the first copy.
func (c *conversation) reply(ctx workflow.Context, req api.ReplyRequest) (api.MessageResult, error) {
	return once(ctx, &c.state.Answered, req.RequestID, func() (api.MessageResult, error) {
		if err := c.checkedAfterSignals(ctx, func() error { return c.checkReply(req) }); err != nil {
			return api.MessageResult{}, err
		}
		return c.receive(ctx, req), nil
	})
}

// replySignal is a reply that needs no answer (reply --async).
func (c *conversation) replySignal(ctx workflow.Context, req api.ReplyRequest) {
	if seen(c.state.Answered, req.RequestID) {
		return // a retry of a signal already taken
	}
	err := c.checkReply(req)
	if err == nil {
		remember(ctx, &c.state.Answered, req.RequestID, nil)
		c.receive(ctx, req)
	}
	logRefused(ctx, api.ConversationReplySignal, err)
}

func (c *conversation) receive(ctx workflow.Context, req api.ReplyRequest) api.MessageResult {
	if m, ok := c.received(req.ProviderID); ok {
		return api.MessageResult{MessageID: m.ID, Status: m.Status}
	}
	m := c.addInbound(ctx, req.CustomerMessage)
	c.applyOptOut(ctx, req.Text)
	return api.MessageResult{MessageID: m.ID, Status: m.Status}
}

// held records that the customer's record kept an unauthenticated email
// from the customer's address out of this conversation: the agent sees that
// one came, not what it says.
func (c *conversation) held(ctx workflow.Context, n api.HeldNotice) {
	if c.mine(n.Conversation) == nil {
		c.event(ctx, "held", "", "an email from the customer's address failed sender authentication; the customer's record keeps it")
	}
}

// logRefused logs a refused signal by its code, never its content.
func logRefused[Req any](ctx workflow.Context, signal api.Signal[Req], err error) {
	if err != nil {
		code, _, _ := codes.Of(err)
		workflow.GetLogger(ctx).Warn("signal refused", "signal", string(signal), "code", code)
	}
}

func (c *conversation) addInbound(ctx workflow.Context, in model.CustomerMessage) model.Message {
	m := model.Message{
		ID: c.nextMessageID(), Direction: model.Inbound, Text: in.Text, HTML: in.HTML,
		Subject: in.Subject, ProviderID: in.ProviderID, Auto: in.Auto, Unauthenticated: in.Unauthenticated, Body: in.Body,
		Media: in.Media, Status: model.MessageReceived, At: workflow.Now(ctx),
	}
	c.state.Messages = append(c.state.Messages, m)
	c.grew = true
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

// addOutbound records an agent's message, asked for by request requestID
// (a signal's may be empty), and returns its id.
func (c *conversation) addOutbound(ctx workflow.Context, agent string, r model.Rendered, requestID string) string {
	subject := c.state.Subject
	if r.Subject != "" && subject == "" {
		subject = r.Subject
	}
	m := model.Message{
		ID: c.nextMessageID(), Direction: model.Outbound, Agent: agent, Text: r.Text,
		HTML: r.HTML, Subject: subject, Template: r.Template, Status: model.MessageQueued, At: workflow.Now(ctx),
	}
	m.Key = deliveryKey(cmp.Or(requestID, m.ID), m)
	c.state.Messages = append(c.state.Messages, m)
	c.grew = true
	c.showDetails(ctx)
	c.applyEarly(m.Key)
	return m.ID
}

// deliveryKey names a message to its provider: the SMS idempotency token and
// the email Message-ID hold it, status callbacks and bounces come back with
// it. It is made of the request that asked for the message and what the
// message says, not of its place in the transcript: the first attempt runs
// inside the update's workflow task, and when a worker dies with that task
// the updates are taken again, maybe in another order, under other message
// numbers. A retry of the request then names the same key (the provider
// answers with the first attempt's message), and no other message can ever
// have it (a provider never sends one message's text under another's key).
// A signal's message without a request id has its number, which a signal,
// recorded before any attempt, keeps.
func deliveryKey(request string, m model.Message) string {
	h := sha256.New()
	for _, part := range []string{request, m.Subject, m.Text, m.HTML} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "k" + hex.EncodeToString(h.Sum(nil)[:12])
}

func (c *conversation) nextMessageID() string {
	c.state.NextMessage++
	return fmt.Sprintf("m%d", c.state.NextMessage)
}

// deliver delivers message id, records the outcome and returns the message.
// The first attempt runs inside the workflow task (a local activity: no round
// trip when the provider answers at once); only a transient failure falls
// back to the retried activity. The message's key keeps any retry, after any
// crash, from sending twice (deliveryKey). The message is found again by id
// afterwards: the transcript may have been archived meanwhile.
func (c *conversation) deliver(ctx workflow.Context, id string) model.Message {
	m := c.state.Messages[c.outboundMessage(id)]
	d := model.Delivery{
		Tenant: c.state.Tenant, Conversation: c.state.ID, Key: m.Key,
		From: c.state.EntryAddress, To: c.state.Customer, Subject: m.Subject,
		Text: m.Text, HTML: m.HTML,
	}
	activity := a.DeliverSMS
	if c.state.Channel == model.Email {
		activity = a.DeliverEmail
	}
	var out model.Delivered
	err := workflow.ExecuteLocalActivity(firstAttempt(ctx), activity, d).Get(ctx, &out)
	if err != nil && !permanent(err) {
		summary := fmt.Sprintf("deliver %s #%s", strings.ToUpper(string(c.state.Channel)), strings.TrimPrefix(m.ID, "m"))
		err = workflow.ExecuteActivity(deliveryOptions(ctx, summary), activity, d).Get(ctx, &out)
	}
	i := c.outboundMessage(id)
	if err != nil {
		c.setStatus(i, model.MessageFailed, failureReason(err))
		c.countMessage(ctx, metrics.MessagesFailed)
		return c.state.Messages[i]
	}
	c.countMessage(ctx, metrics.MessagesSent)
	c.state.Messages[i].ProviderID, c.state.Messages[i].Segments = out.ProviderID, out.Segments
	c.setStatus(i, model.MessageSent, "")
	c.confirmDeliveries(ctx)
	return c.state.Messages[i]
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
