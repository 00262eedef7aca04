package conversations

import (
	"context"
	"errors"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"

	"outbound/internal/address"
	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
)

// InboundMessage is a customer message as a channel delivered it.
type InboundMessage struct {
	Channel model.Channel
	To      string // the entry point's address the customer wrote to
	From    string // the customer's address
	Thread  string // the conversation id the email headers name, if any
	model.CustomerMessage
}

// Inbound hands a customer message to the customer's record, which routes it
// (Route) in arrival order and drops a provider's retry of a message it has
// routed. It returns once the message is durable, before it lands: Routed
// tells where it did.
func (c *Client) Inbound(ctx context.Context, m InboundMessage) error {
	return c.InboundAll(ctx, []InboundMessage{m})[0]
}

// InboundAll is Inbound for messages in arrival order, with the answer of
// each: those of one customer's record go in one signal.
func (c *Client) InboundAll(ctx context.Context, msgs []InboundMessage) []error {
	errs := make([]error, len(msgs))
	var records []string
	byRecord := map[string][]int{} // record → the messages for it, in order
	reqs := make([]api.InboundRequest, len(msgs))
	for i, m := range msgs {
		tenant, ep, from, err := c.sender(ctx, m)
		if err != nil {
			errs[i] = err
			continue
		}
		reqs[i] = api.InboundRequest{
			Tenant: tenant, Channel: ep.Channel, EntryPoint: ep.ID, From: from, Thread: m.Thread,
			CustomerMessage: m.CustomerMessage, Request: request(ctx),
		}
		if errs[i] = c.keepLong(ctx, &reqs[i]); errs[i] != nil {
			continue
		}
		record := tenant + "/" + address.Key(c.IDKey, from)
		if byRecord[record] == nil {
			records = append(records, record)
		}
		byRecord[record] = append(byRecord[record], i)
	}
	for _, record := range records {
		var batch []api.InboundRequest
		for _, i := range byRecord[record] {
			batch = append(batch, reqs[i])
		}
		_, key, _ := strings.Cut(record, "/")
		err := translate(api.SendInbound(ctx, c.Temporal, key, batch))
		for _, i := range byRecord[record] {
			errs[i] = err
		}
	}
	return errs
}

// sender is the tenant and entry point a message was sent to and its
// sender's normalised address.
func (c *Client) sender(ctx context.Context, m InboundMessage) (string, directory.EntryPoint, string, error) {
	tenant, ep, err := c.entryPointOf(ctx, m.Channel, m.To)
	if err != nil {
		return "", ep, "", err
	}
	from, err := address.Normalize(ep.Channel, m.From)
	return tenant, ep, from, err
}

// keepLong stores a message over model.MaxBodyBytes whole in the archive and
// leaves a preview and its key: no customer can make a workflow's state
// outgrow Temporal's payload limit.
func (c *Client) keepLong(ctx context.Context, req *api.InboundRequest) error {
	m := &req.CustomerMessage
	m.Subject = model.Preview(m.Subject, maxSubjectBytes)
	if len(m.Text)+len(m.HTML) <= model.MaxBodyBytes {
		return nil
	}
	if c.Archive == nil {
		return codes.New(codes.MessageTooLong, "a message over %d KiB needs the transcript archive, which this receiver has not got", model.MaxBodyBytes>>10)
	}
	id := m.ProviderID
	if id == "" {
		id = req.RequestID
	}
	key, err := c.Archive.SaveBody(ctx, req.Tenant, req.EntryPoint+"\x00"+req.From+"\x00"+id, model.MessageBody{Text: m.Text, HTML: m.HTML})
	if err != nil {
		return err
	}
	m.Text, m.HTML, m.Body = model.Preview(m.Text, model.PreviewBytes), "", key
	return nil
}

// maxSubjectBytes bounds a subject as SMTP bounds a line.
const maxSubjectBytes = 998

// Body is a message's whole text and HTML, from the archive when the
// transcript holds a preview.
func (c *Client) Body(ctx context.Context, m model.Message) (model.MessageBody, error) {
	if m.Body == "" {
		return model.MessageBody{Text: m.Text, HTML: m.HTML}, nil
	}
	if c.Archive == nil {
		return model.MessageBody{}, ErrArchiveUnavailable
	}
	return c.Archive.LoadBody(ctx, m.Body)
}

// Routed waits until the customer's record has routed the message with this
// provider id and returns the conversation it landed in.
func (c *Client) Routed(ctx context.Context, m InboundMessage) (string, error) {
	if m.ProviderID == "" {
		return "", codes.New(codes.BadRequest, "only a message with a provider id can be followed")
	}
	tenant, ep, from, err := c.sender(ctx, m)
	if err != nil {
		return "", err
	}
	record := api.CustomerWorkflowID(tenant, address.Key(c.IDKey, from))
	for {
		st, err := api.CustomerQuery.Get(ctx, c.Temporal, record)
		if err != nil {
			return "", err
		}
		for _, r := range st.Received {
			if r.ProviderID == m.ProviderID && r.EntryPoint == ep.ID {
				if r.Refused != "" {
					return "", codes.New(codes.Code(r.Refused), "the message was refused")
				}
				return r.Conversation, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Route puts a customer message into its conversation (rule 10): the one its
// email headers name, else the open conversation with this customer on this
// entry point, else a new conversation that waits in the entry point's queue
// and inherits the previous history (rule 16). An automatic reply opens
// none; an unauthenticated email joins an open conversation only by its
// headers, else the customer's record holds it. The customer's record calls
// Route (activities.RouteInbound), one message at a time.
func (c *Client) Route(ctx context.Context, m api.InboundRequest) (api.Routed, error) {
	ctx = WithRequestID(ctx, m.RequestID)
	workflowID := api.ConversationWorkflowID(m.Tenant, m.EntryPoint, address.Key(c.IDKey, m.From))
	// A retry of a message that already landed (the worker died before the
	// record heard) must not land it again, even in a conversation that has
	// closed since: a second attempt would open a new one with it.
	latest, err := c.latest(ctx, workflowID)
	if err != nil {
		return api.Routed{}, err
	}
	if id, ok, err := c.landed(ctx, latest, m.RequestID); err != nil || ok {
		return api.Routed{Conversation: id}, err
	}
	// The thread comes from headers the sender controls: it counts only when
	// it names this customer's conversation on this entry point.
	if thread, _, ok := api.SplitConversationID(m.Thread); ok && thread == workflowID {
		if id, err := c.replyTo(ctx, m.Thread, m.CustomerMessage); !codes.Is(err, codes.ConversationClosed) {
			return api.Routed{Conversation: id}, err
		}
	}
	// A conversation may close, or another message open one, between the
	// steps: try again a few times, as the provider would.
	for try := range 3 {
		if try > 0 {
			if latest, err = c.latest(ctx, workflowID); err != nil {
				return api.Routed{}, err
			}
		}
		if id, ok := running(latest); ok && m.Unauthenticated {
			return c.hold(ctx, workflowID, id, m)
		} else if ok {
			if id, err := c.replyTo(ctx, id, m.CustomerMessage); !codes.Is(err, codes.ConversationClosed) {
				return api.Routed{Conversation: id}, err
			}
		}
		if m.Auto {
			return api.Routed{}, codes.New(codes.ConversationClosed, "an automatic reply opens no conversation")
		}
		req := api.StartRequest{Tenant: m.Tenant, Channel: m.Channel, EntryPoint: m.EntryPoint, To: m.From, Inbound: &m.CustomerMessage, Request: m.Request}
		id, err := c.open(ctx, workflowID, req, summary(m.Channel, m.EntryPoint, m.From, "queue"))
		if !codes.Is(err, codes.ActiveConversationExists) {
			return api.Routed{Conversation: id}, err
		}
	}
	return api.Routed{}, errors.New("the conversation kept changing while the message was routed; retry")
}

// hold keeps an unauthenticated email out of the open conversation: the
// customer's record keeps it (the whole in the archive when it is longer
// than its preview) and the conversation shows that one was held.
func (c *Client) hold(ctx context.Context, workflowID, conversation string, m api.InboundRequest) (api.Routed, error) {
	routed := api.Routed{Conversation: conversation, Held: true, Body: m.Body}
	if body := (model.MessageBody{Text: m.Text, HTML: m.HTML}); routed.Body == "" && (len(body.Text) > model.PreviewBytes || body.HTML != "") {
		if c.Archive == nil {
			return api.Routed{}, codes.New(codes.MessageTooLong, "holding this message needs the transcript archive")
		}
		key, err := c.Archive.SaveBody(ctx, m.Tenant, m.EntryPoint+"\x00"+m.From+"\x00"+m.RequestID, body)
		if err != nil {
			return api.Routed{}, err
		}
		routed.Body = key
	}
	notice := api.HeldNotice{Conversation: conversation, Subject: m.Subject}
	return routed, translate(api.ConversationHeld.Send(ctx, c.Temporal, workflowID, notice))
}

func (c *Client) replyTo(ctx context.Context, id string, msg model.CustomerMessage) (string, error) {
	_, err := c.ReplyMessage(ctx, Sync, id, msg)
	return id, err
}

// latest describes the latest run of workflowID; nil when there is none.
func (c *Client) latest(ctx context.Context, workflowID string) (*workflowpb.WorkflowExecutionInfo, error) {
	desc, err := c.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil, nil
	}
	return desc.GetWorkflowExecutionInfo(), err
}

// landed reports whether the latest conversation took the request (its
// update, whose ID is the request id, completed there: a reply, or the open
// of a conversation the message started), and which one.
func (c *Client) landed(ctx context.Context, latest *workflowpb.WorkflowExecutionInfo, requestID string) (string, bool, error) {
	if requestID == "" || latest == nil {
		return "", false, nil
	}
	workflowID := latest.GetExecution().GetWorkflowId()
	handle := c.Temporal.GetWorkflowUpdateHandle(client.GetWorkflowUpdateHandleOptions{
		WorkflowID: workflowID, RunID: latest.GetExecution().GetRunId(), UpdateID: requestID,
	})
	err := handle.Get(ctx, nil)
	if err == nil {
		return api.ConversationID(workflowID, latest.GetFirstRunId()), true, nil
	}
	var notFound *serviceerror.NotFound
	if _, _, refused := codes.Of(err); refused || errors.As(err, &notFound) {
		return "", false, nil // never seen, or refused (which changed nothing)
	}
	return "", false, err
}

// running returns the id of the conversation if its latest run is running.
func running(latest *workflowpb.WorkflowExecutionInfo) (string, bool) {
	if latest.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return "", false
	}
	return api.ConversationID(latest.GetExecution().GetWorkflowId(), latest.GetFirstRunId()), true
}

// entryPointOf finds the tenant and entry point that own an address.
func (c *Client) entryPointOf(ctx context.Context, channel model.Channel, to string) (string, directory.EntryPoint, error) {
	dirs, err := c.Directories(ctx)
	if err != nil {
		return "", directory.EntryPoint{}, err
	}
	for _, name := range sortedTenants(dirs) {
		d := dirs[name]
		if ep, ok := d.EntryPointByAddress(channel, to); ok {
			return name, ep, nil
		}
	}
	return "", directory.EntryPoint{}, codes.New(codes.NoEntryPoint, "no %s entry point has this address", channel)
}
