package desktop

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/google/uuid"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/directory"
	"outbound/internal/model"
)

// conversationPage is one conversation as its agent works on it.
type conversationPage struct {
	homePage
	Conv      api.ConversationState
	CanSend   bool        // the agent owns it and it is active
	CanPickUp bool        // it waits in one of the agent's queues
	Compose   composeView // what is being composed, kept across a refusal
	Flows     []string    // the flows the agent may trigger (rule 14)
	WrapUp    []string    // the reasons, while the agent wraps it up
	WrapUpDue time.Time   // then the default reason applies
	Held      int         // unauthenticated emails kept out of it (api.HeldNotice)
	Triggered *api.Event  // the last flow triggered from it, confirmed beside the control
	// Refusals, each shown where it happened.
	Alert, SendAlert, FlowAlert, WrapUpAlert string
}

// visible is who may see a conversation besides the agents holding a slot
// for it (loadFor): its owner, the agent it is offered to or that transfers
// it, an agent of the queue it waits in, and the agent wrapping it up.
// Anyone else gets 404: not even its existence shows.
func visible(st api.ConversationState, agent string, queues []string) bool {
	t := st.PendingTransfer
	switch {
	case st.Owner == agent, st.WrapUp != nil && st.WrapUp.Agent == agent:
		return true
	case t != nil && (t.From == agent || t.OfferedTo == agent):
		return true
	}
	return st.Status == api.StatusQueued && slices.Contains(queues, st.Queue)
}

// load reads the conversation named by the request's id for the signed-in
// agent, or answers 404.
func (s *Server) load(w http.ResponseWriter, r *http.Request, a agentRequest) (conversationPage, bool) {
	st, err := agentState(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return conversationPage{}, false
	}
	return s.loadFor(w, r, a, st)
}

// loadFor is load with the agent's state already read.
func (s *Server) loadFor(w http.ResponseWriter, r *http.Request, a agentRequest, st api.AgentState) (conversationPage, bool) {
	var page conversationPage
	conv, err := a.client.Show(r.Context(), r.FormValue("id"))
	holds := slices.ContainsFunc(st.Slots, func(s api.Slot) bool { return s.Conversation == conv.ID })
	hidden := err == nil && (conv.Tenant != a.Tenant || !holds && !visible(conv, a.Agent, st.Config.Queues))
	if hidden || codes.Is(err, codes.BadRequest) || codes.Is(err, codes.ConversationClosed) {
		http.NotFound(w, r)
		return page, false
	}
	var dir directory.Directory
	if err == nil {
		dir, err = a.client.Directory(r.Context())
	}
	if err != nil {
		s.fail(w, r, err)
		return page, false
	}
	page.homePage, page.Conv = frameOf(a, st), conv
	for _, e := range conv.Events {
		switch e.Kind {
		case "held":
			page.Held++
		case "flow":
			page.Triggered = &e
		}
	}
	page.CanSend = conv.Owner == a.Agent && conv.Status == api.StatusActive
	page.CanPickUp = conv.Status == api.StatusQueued
	page.Compose = composeFor(r, &dir, a.lang, conv.Channel, "/conversation")
	page.Compose.EnterSends = true
	for _, f := range dir.Flows {
		if f.Triggerable() {
			page.Flows = append(page.Flows, f.ID)
		}
	}

	for _, slot := range st.Slots {
		if slot.Conversation == conv.ID && slot.Role == api.SlotWrapUp && slot.WrapUp != nil {
			page.WrapUp, page.WrapUpDue = slot.WrapUp.Reasons, slot.WrapUpDue
		}
	}
	return page, true
}

func (s *Server) conversation(w http.ResponseWriter, r *http.Request, a agentRequest) {
	seen, err := s.watchConversation(r.Context(), a, r.FormValue("id"))
	if err != nil {
		s.failOrNotFound(w, r, err)
		return
	}
	live, err := seen.fingerprint(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if page, ok := s.loadFor(w, r, a, seen.state); ok {
		page.Live, page.LiveID = live, page.Conv.ID
		s.show(w, r, a, http.StatusOK, "conversation.html", &page.homePage, &page)
	}
}

// message answers one message's whole text, for a transcript that holds a
// preview of it, as plain text: whatever the customer wrote, the browser
// shows it as characters and runs nothing.
func (s *Server) message(w http.ResponseWriter, r *http.Request, a agentRequest) {
	page, ok := s.load(w, r, a)
	if !ok {
		return
	}
	i := slices.IndexFunc(page.Conv.Messages, func(m model.Message) bool { return m.ID == r.FormValue("m") })
	if i < 0 {
		http.NotFound(w, r)
		return
	}
	body, err := a.client.Body(r.Context(), page.Conv.Messages[i])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write([]byte(body.Text))
}

// send sends the composed message once, whatever retries or double clicks
// bring: the page's request id goes with it. A refusal comes back in the
// composer with the message as composed.
func (s *Server) send(w http.ResponseWriter, r *http.Request, a agentRequest) {
	if err := limitUpload(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	page, ok := s.load(w, r, a)
	if !ok {
		return
	}
	msg, err := page.Compose.message(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := conversations.WithRequestID(r.Context(), r.PostFormValue("request"))
	_, err = a.client.Send(ctx, conversations.Sync, page.Conv.ID, a.Agent, msg)
	s.after(w, r, a, &page, err, &page.SendAlert)
}

// trigger starts one of the tenant's flows from the conversation.
func (s *Server) trigger(w http.ResponseWriter, r *http.Request, a agentRequest) {
	page, ok := s.load(w, r, a)
	if !ok {
		return
	}
	ctx := conversations.WithRequestID(r.Context(), r.PostFormValue("request"))
	_, err := a.client.Trigger(ctx, page.Conv.ID, a.Agent, r.PostFormValue("flow"))
	s.after(w, r, a, &page, err, &page.FlowAlert)
}

// act runs one of the agent's operations on the conversation.
func (s *Server) act(op func(c *conversations.Client, a agentRequest, r *http.Request, id string) error) func(http.ResponseWriter, *http.Request, agentRequest) {
	return func(w http.ResponseWriter, r *http.Request, a agentRequest) {
		page, ok := s.load(w, r, a)
		if !ok {
			return
		}
		r = r.WithContext(conversations.WithRequestID(r.Context(), r.PostFormValue("request")))
		alert := &page.Alert
		if r.URL.Path == "/wrapup" {
			alert = &page.WrapUpAlert
		}
		s.after(w, r, a, &page, op(a.client, a, r, page.Conv.ID), alert)
	}
}

// after shows the conversation again, with a refusal in place.
func (s *Server) after(w http.ResponseWriter, r *http.Request, a agentRequest, page *conversationPage, err error, alert *string) {
	s.outcome(w, r, err, page.Conv.ID, func(msg, next string) {
		*alert, page.Request = msg, next
		s.show(w, r, a, http.StatusUnprocessableEntity, "conversation.html", &page.homePage, page)
	})
}

// outcome ends a form's POST: when the operation took effect, the
// conversation by redirect (a reload does not post again); a refusal shows
// on the form, re-rendered by refused with its code and message and the
// request id for the next attempt: a new one, since nothing took effect,
// unless the outcome is unknown (the same id then finds out); any other
// error fails the request.
func (s *Server) outcome(w http.ResponseWriter, r *http.Request, err error, conversation string, refused func(alert, next string)) {
	if err == nil {
		http.Redirect(w, r, doneWith(r.URL.Path, conversation), http.StatusSeeOther)
		return
	}
	code, _, ok := codes.Of(err)
	if !ok {
		s.fail(w, r, err)
		return
	}
	next := uuid.NewString()
	if code == codes.OutcomeUnknown {
		next = r.PostFormValue("request")
	}
	refused(refusal(lang(r), code), next) // shown with 422
}

// doneWith is where an operation that took effect leads: back to the tasks
// when the conversation is no longer the agent's to work on, else to it.
func doneWith(path, conversation string) string {
	switch path {
	case "/decline":
		return "/"
	case "/wrapup":
		return "/?done=wrapup"
	}
	return "/conversation?id=" + url.QueryEscape(conversation)
}

// closeDialog asks the agent to confirm a close: it ends the conversation
// for the customer and starts the agent's wrap-up.
func (s *Server) closeDialog(w http.ResponseWriter, r *http.Request, a agentRequest) {
	if page, ok := s.load(w, r, a); ok {
		s.show(w, r, a, http.StatusOK, "close.html", &page.homePage, &page)
	}
}

var (
	accept = func(c *conversations.Client, a agentRequest, r *http.Request, id string) error {
		_, err := c.Accept(r.Context(), id, a.Agent)
		return err
	}
	decline = func(c *conversations.Client, a agentRequest, r *http.Request, id string) error {
		_, err := c.Decline(r.Context(), id, a.Agent)
		return err
	}
	closeConversation = func(c *conversations.Client, a agentRequest, r *http.Request, id string) error {
		_, err := c.Close(r.Context(), id, a.Agent)
		return err
	}
	wrapUp = func(c *conversations.Client, a agentRequest, r *http.Request, id string) error {
		return c.WrapUp(r.Context(), id, a.Agent, r.PostFormValue("reason"))
	}
)
