package desktop

import (
	"net/http"
	"slices"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/directory"
	"outbound/internal/model"
)

// newPage is the new outbound conversation dialog: the channels the agent
// may use, the chosen channel's entry points and templates, and what was typed.
type newPage struct {
	homePage
	Channels    []model.Channel
	Channel     model.Channel
	EntryPoints []directory.EntryPoint
	To, From    string
	Subject     string
	Compose     composeView
	Alert       string
	Unavailable []channelRefusal // the channels the agent cannot use, and why
}

// channelRefusal is why a channel is not the agent's to start on: a §5 code,
// said in the agent's language by the catalog ("why.CODE").
type channelRefusal struct {
	Channel model.Channel
	Code    codes.Code
}

// newForm fills the form for the channel and template the request names.
func (s *Server) newForm(w http.ResponseWriter, r *http.Request, a agentRequest) (newPage, bool) {
	if err := limitUpload(w, r); err != nil {
		s.fail(w, r, err)
		return newPage{}, false
	}
	st, err := agentState(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return newPage{}, false
	}
	dir, err := a.client.Directory(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return newPage{}, false
	}
	p := newPage{homePage: frameOf(a, st), To: r.FormValue("to"), From: r.FormValue("from"), Subject: r.FormValue("subject")}
	if req := r.FormValue("request"); req != "" {
		p.Request = req
	}
	for _, ch := range []model.Channel{model.SMS, model.Email} {
		_, _, err := dir.CheckEligibility(a.Agent, ch, firstEntryPoint(&dir, ch))
		if code, _, refused := codes.Of(err); err == nil || code == codes.NoEntryPoint {
			p.Channels = append(p.Channels, ch)
		} else if refused {
			p.Unavailable = append(p.Unavailable, channelRefusal{ch, code})
		}
	}
	p.Channel = model.Channel(r.FormValue("channel"))
	if !slices.Contains(p.Channels, p.Channel) && len(p.Channels) > 0 {
		p.Channel = p.Channels[0]
	}
	for _, ep := range dir.EntryPoints {
		if ep.Channel == p.Channel {
			p.EntryPoints = append(p.EntryPoints, ep)
		}
	}
	p.Compose = composeFor(r, &dir, a.lang, p.Channel, "/new")
	p.Compose.Prefix = "new-"
	return p, true
}

func firstEntryPoint(dir *directory.Directory, ch model.Channel) string {
	for _, ep := range dir.EntryPoints {
		if ep.Channel == ch {
			return ep.ID
		}
	}
	return ""
}

func (s *Server) newConversation(w http.ResponseWriter, r *http.Request, a agentRequest) {
	if p, ok := s.newForm(w, r, a); ok {
		s.show(w, r, a, http.StatusOK, "new.html", &p.homePage, &p)
	}
}

// start opens the conversation once (the form's request id makes a retry
// return the same conversation); a refusal comes back in the dialog with
// everything as typed.
func (s *Server) start(w http.ResponseWriter, r *http.Request, a agentRequest) {
	p, ok := s.newForm(w, r, a)
	if !ok {
		return
	}
	first, err := p.Compose.message(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := conversations.WithRequestID(r.Context(), p.Request)
	id, err := a.client.Start(ctx, conversations.StartOptions{
		Agent: a.Agent, Channel: p.Channel, To: p.To, EntryPoint: p.From, Subject: p.Subject, First: &first,
	})
	s.outcome(w, r, err, id, func(alert string, next string) {
		p.Alert, p.Request = alert, next
		s.show(w, r, a, http.StatusUnprocessableEntity, "new.html", &p.homePage, &p)
	})
}
