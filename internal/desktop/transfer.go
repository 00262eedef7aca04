package desktop

import (
	"net/http"
	"strings"

	"outbound/internal/api"
	"outbound/internal/conversations"
)

// transferPage is the transfer form (rule 17): the tenant's queues with how
// many wait in each, the other agents with their state and slots, both
// filtered by the search, as current as the last reload.
type transferPage struct {
	conversationPage
	Search string
	Queues []queueChoice
	Agents []agentChoice
}

// agentChoice is an agent the conversation may be transferred to; Why (a
// catalog key) says why it cannot take it now, and the dialog shows it
// without letting the agent choose it.
type agentChoice struct {
	conversations.AgentInfo
	Why string
}

// whyNot is what keeps an agent from being offered a transfer: the
// reservation's rule (available or RONA, with a free slot).
func whyNot(a conversations.AgentInfo) string {
	switch {
	case a.State != api.AgentAvailable && a.State != api.AgentRONA:
		return "transfer.unavailable"
	case a.InUse >= a.Max:
		return "transfer.full"
	}
	return ""
}

type queueChoice struct {
	ID, Name string
	Waiting  int
}

func (s *Server) transferForm(w http.ResponseWriter, r *http.Request, a agentRequest) (transferPage, bool) {
	conv, ok := s.load(w, r, a)
	if !ok {
		return transferPage{}, false
	}
	p := transferPage{conversationPage: conv, Search: strings.TrimSpace(r.FormValue("q"))}
	if req := r.FormValue("request"); req != "" {
		p.Request = req
	}
	match := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(strings.ToLower(x), strings.ToLower(p.Search)) {
				return true
			}
		}
		return false
	}
	agents, err := a.client.Agents(r.Context(), "")
	if err != nil {
		s.fail(w, r, err)
		return p, false
	}
	for _, ag := range agents {
		if ag.ID != a.Agent && match(ag.ID, ag.Name) {
			p.Agents = append(p.Agents, agentChoice{AgentInfo: ag, Why: whyNot(ag)})
		}
	}
	dir, err := a.client.Directory(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return p, false
	}
	for _, q := range dir.Queues {
		if !match(q.ID, q.Name) {
			continue
		}
		line, err := a.client.Waiting(r.Context(), a.Tenant, q.ID)
		if err != nil {
			s.fail(w, r, err)
			return p, false
		}
		p.Queues = append(p.Queues, queueChoice{ID: q.ID, Name: q.Name, Waiting: len(line)})
	}
	return p, true
}

func (s *Server) transferPage(w http.ResponseWriter, r *http.Request, a agentRequest) {
	if p, ok := s.transferForm(w, r, a); ok {
		s.show(w, r, a, http.StatusOK, "transfer.html", &p.homePage, &p)
	}
}

// transfer hands the conversation to the chosen queue or agent; a refusal
// (TRANSFER_PENDING, TARGET_UNAVAILABLE, …) shows on the form.
func (s *Server) transfer(w http.ResponseWriter, r *http.Request, a agentRequest) {
	p, ok := s.transferForm(w, r, a)
	if !ok {
		return
	}
	kind, target, _ := strings.Cut(r.PostFormValue("target"), ":")
	var toAgent, toQueue string
	switch kind {
	case "agent":
		toAgent = target
	case "queue":
		toQueue = target
	}
	ctx := conversations.WithRequestID(r.Context(), p.Request)
	_, err := a.client.Transfer(ctx, p.Conv.ID, a.Agent, toAgent, toQueue)
	s.outcome(w, r, err, p.Conv.ID, func(alert, next string) {
		p.Alert, p.Request = alert, next
		s.show(w, r, a, http.StatusUnprocessableEntity, "transfer.html", &p.homePage, &p)
	})
}
