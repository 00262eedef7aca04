package desktop

import (
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"outbound/internal/api"
)

// signinChoice is one agent the dev sign-in offers.
type signinChoice struct {
	Value, Label string
}

// signinPage is the dev sign-in: pick an agent of a served tenant.
func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	dirs, err := s.Client.Directories(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var choices []signinChoice
	for tenant, d := range dirs {
		for _, ag := range d.Agents {
			choices = append(choices, signinChoice{Value: tenant + "/" + ag.ID, Label: ag.Name + " (" + tenant + ")"})
		}
	}
	sort.Slice(choices, func(i, j int) bool { return choices[i].Value < choices[j].Value })
	s.render(w, "signin.html", map[string]any{"Lang": lang(r), "Choices": choices})
}

// signin starts a session for the agent picked on the dev sign-in page, with
// a new cookie value.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	tenant, agent, _ := strings.Cut(r.PostFormValue("agent"), "/")
	dirs, err := s.Client.Directories(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, ok := dirs[tenant]
	if _, known := d.Agent(agent); !ok || !known {
		http.Error(w, "no such agent", http.StatusBadRequest)
		return
	}
	now := s.sessions.now()
	s.sessions.write(w, session{Tenant: tenant, Agent: agent, Signed: now})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	s.sessions.clear(w)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// homePage is the header, the offers to the agent and the task list: what
// every signed-in page shows around its content.
type homePage struct {
	Lang    string
	Live    string // the fingerprint the page was read at (live updates on), see live.go
	LiveID  string // the conversation on screen
	Name    string
	State   string
	States  []string // what the agent may set
	Tasks   taskList // read by show, only for a page that is shown
	Request string   // the request id of this page's next action (a retry acts once)
	Back    string   // this page's own address: where setting the state returns
	Done    string   // an action that took effect and led here ("wrapup"), confirmed on the page

	agent api.AgentState // as read for this request
}

// frameOf is what every page shows around its content, but for the task list.
func frameOf(a agentRequest, st api.AgentState) homePage {
	return homePage{
		Lang: a.lang, Name: st.Config.Name, State: st.State, Request: uuid.NewString(),
		States: []string{api.AgentAvailable, api.AgentIdle}, agent: st,
	}
}

// show reads the task list of a page and renders it with status: only a page
// that is shown pays for the task list, not an action that took effect and
// redirects.
func (s *Server) show(w http.ResponseWriter, r *http.Request, a agentRequest, status int, name string, frame *homePage, page any) {
	tasks, err := readTasks(r.Context(), a, frame.agent)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	frame.Tasks, frame.Back = tasks, r.URL.RequestURI()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.pages.ExecuteTemplate(w, name, page); err != nil {
		s.Log.Error("desktop page not rendered", zap.String("page", name), zap.Error(err))
	}
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, a agentRequest) {
	seen := &watch{a: a, changes: s.changes}
	live, err := seen.fingerprint(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := frameOf(a, seen.state)
	page.Live = live
	if r.URL.Query().Get("done") == "wrapup" {
		page.Done = "wrapup"
	}
	s.show(w, r, a, http.StatusOK, "home.html", &page, &page)
}

// setState sets the signed-in agent Available or Idle (RONA is the system's)
// and returns to the page the agent set it on.
func (s *Server) setState(w http.ResponseWriter, r *http.Request, a agentRequest) {
	state := r.PostFormValue("state")
	if !slices.Contains([]string{api.AgentAvailable, api.AgentIdle}, state) {
		http.Error(w, "state is available or idle", http.StatusBadRequest)
		return
	}
	if err := a.client.SetAgentState(r.Context(), a.Agent, state); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, localPath(r.PostFormValue("back")), http.StatusSeeOther)
}

// localPath is path when it is an address on this desktop, else the task
// list: a form field must not send the agent to another site.
func localPath(path string) string {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.HasPrefix(path, "/\\") {
		return "/"
	}
	return path
}
