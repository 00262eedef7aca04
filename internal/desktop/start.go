package desktop

import (
	"net/http"
	"slices"

	"github.com/google/uuid"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/directory"
	"outbound/internal/model"
	"outbound/internal/templates"
)

// newPage is the new outbound conversation form: the channels the agent may
// use, the chosen channel's entry points and templates, and what was typed.
type newPage struct {
	homePage
	Channels    []model.Channel
	Channel     model.Channel
	EntryPoints []directory.EntryPoint
	Templates   []directory.Template
	Template    string
	Variables   []variable
	To, From    string
	Subject     string
	Text        string
	Request     string
	Alert       string
}

type variable struct{ Name, Value string }

// newForm fills the form for the channel and template the request names.
func (s *Server) newForm(w http.ResponseWriter, r *http.Request, a agentRequest) (newPage, bool) {
	st, err := agentState(r.Context(), a)
	if err != nil {
		s.fail(w, err)
		return newPage{}, false
	}
	dir, err := a.client.Directory(r.Context())
	if err != nil {
		s.fail(w, err)
		return newPage{}, false
	}
	p := newPage{
		homePage: homePage{Lang: a.lang, Name: st.Config.Name, State: st.State},
		To:       r.FormValue("to"), From: r.FormValue("from"), Subject: r.FormValue("subject"),
		Text: r.FormValue("text"), Template: r.FormValue("template"), Request: r.FormValue("request"),
	}
	if p.Request == "" {
		p.Request = uuid.NewString()
	}
	for _, ch := range []model.Channel{model.SMS, model.Email} {
		if _, _, err := dir.CheckEligibility(a.Agent, ch, firstEntryPoint(&dir, ch)); err == nil || codes.Is(err, codes.NoEntryPoint) {
			p.Channels = append(p.Channels, ch)
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
	for _, tpl := range dir.Templates {
		if tpl.Channel == p.Channel {
			p.Templates = append(p.Templates, tpl)
			if tpl.ID == p.Template {
				for _, name := range templates.Variables(tpl) {
					p.Variables = append(p.Variables, variable{Name: name, Value: r.FormValue("var." + name)})
				}
			}
		}
	}
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
		s.render(w, "new.html", p)
	}
}

// start opens the conversation once (the form's request id makes a retry
// return the same conversation); a refusal comes back on the form with
// everything as typed.
func (s *Server) start(w http.ResponseWriter, r *http.Request, a agentRequest) {
	p, ok := s.newForm(w, r, a)
	if !ok {
		return
	}
	first := &model.Compose{Text: p.Text}
	if p.Template != "" {
		first = &model.Compose{Template: p.Template, Vars: map[string]string{}}
		for _, v := range p.Variables {
			first.Vars[v.Name] = v.Value
		}
	}
	ctx := conversations.WithRequestID(r.Context(), p.Request)
	id, err := a.client.Start(ctx, conversations.StartOptions{
		Agent: a.Agent, Channel: p.Channel, To: p.To, EntryPoint: p.From, Subject: p.Subject, First: first,
	})
	s.outcome(w, r, err, id, func(alert string) {
		p.Alert = alert
		s.render(w, "new.html", p)
	})
}
