package tests

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outbound/internal/api"
)

// The transfer dialog shows the agents who cannot take the conversation now
// (idle, or every slot in use) but cannot choose them, and says why (Desk
// v2, defect 13: they were offered like the others).
func TestBrowserTransferShowsWhoCannotTakeIt(t *testing.T) {
	c := env.PeopleTenant(t)
	b := startBrowser(t)
	id := startSMS(t, c, "alice", newPhone())
	startSMS(t, c, "dave", newPhone()) // dave: 1 of 1
	setState(t, c, "carol", api.AgentIdle)
	b.signIn(c.Tenant, "alice")
	b.run("open the conversation", chromedp.Navigate(b.base+conversationPath(id)))
	b.waitFor("the conversation", `!!document.querySelector("#message")`)
	b.openDialog("Transfer", "transfer-dialog")
	for agent, why := range map[string]string{"carol": "not available", "dave": "no free slot"} {
		if !b.holds(`document.querySelector("#target-agent-` + agent + `").disabled`) {
			t.Errorf("%s can be chosen", agent)
		}
		item, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("#target-agent-`+agent+`").closest("li").textContent`))
		if !strings.Contains(item, why) {
			t.Errorf("%s's line reads %q: want %q", agent, item, why)
		}
	}
	if b.holds(`document.querySelector("#target-agent-bob").disabled`) {
		t.Error("bob, available with free slots, cannot be chosen")
	}
	b.requireNamedControls()
}
