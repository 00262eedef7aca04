package tests

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"outbound/internal/api"
)

// The state control changes nothing until the agent presses a state: arrow
// keys on it neither set a state nor reload the page (Desk v2, defect 8).
// Pressing Idle sets it in place: the agent stays on the conversation, the
// focus on the control, which shows the new state.
func TestBrowserStateChangesOnlyWhenPressed(t *testing.T) {
	c := env.Tenant(t)
	b := startBrowser(t)
	id := startSMS(t, c, "alice", newPhone())
	b.signIn(c.Tenant, "alice")
	b.run("open the conversation", chromedp.Navigate(b.base+conversationPath(id)))
	b.waitFor("the conversation", `!!document.querySelector("#message")`)
	if !b.holds(`(window.sameDocument = true) && (e => !!e && (e.focus(), document.activeElement === e))(document.querySelector("#state .current, select#state"))`) {
		t.Fatal("no state control to focus")
	}
	b.run("arrow keys on the state control", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowRight))
	time.Sleep(time.Second) // what the arrows would have set or reloaded
	if state, _ := agentInUse(t, c, "alice"); state != api.AgentAvailable {
		t.Fatalf("arrow keys set alice %s", state)
	}
	if !b.holds(`window.sameDocument === true`) {
		t.Fatal("arrow keys reloaded the page")
	}

	b.tabTo("Idle")
	b.run("press Idle", chromedp.KeyEvent(kb.Enter))
	eventually(t, 5*time.Second, "alice idle", func() bool { state, _ := agentInUse(t, c, "alice"); return state == api.AgentIdle })
	b.waitFor("the control showing Idle, focused, on the same conversation",
		`document.querySelector("#state .current").textContent === "Idle" && document.activeElement.textContent === "Idle" && location.pathname === "/conversation" && window.sameDocument === true`)
}
