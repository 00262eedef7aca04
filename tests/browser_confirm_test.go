package tests

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outbound/internal/api"
)

// The actions say what they did and Close asks first (Desk v2, defect 7):
// a triggered flow is confirmed in place; Close opens a dialog, whose
// Cancel leaves the conversation active; wrapping up lands on the task list
// saying it was recorded.
func TestBrowserActionsConfirm(t *testing.T) {
	c := env.Tenant(t)
	b := startBrowser(t)
	id := startSMS(t, c, "alice", newPhone())
	b.signIn(c.Tenant, "alice")
	b.run("open the conversation", chromedp.Navigate(b.base+conversationPath(id)))
	b.waitFor("the conversation", `!!document.querySelector("#flow")`)

	b.run("trigger the survey", chromedp.SetValue(chromedp.CSS("#flow"), "survey"), chromedp.Click(button("Trigger flow")))
	b.waitFor("the flow confirmed", `!!document.querySelector("#trigger [role=status]")`)
	if got := b.text("#trigger [role=status]"); !strings.Contains(got, "survey") {
		t.Errorf("the trigger's confirmation reads %q", got)
	}

	b.openDialog("Close", "close-dialog")
	if st := show(t, c, id); st.Status != api.StatusActive {
		t.Fatalf("opening Close closed the conversation: %s", st.Status)
	}
	b.run("cancel", chromedp.Click(chromedp.Search(`//dialog//a[normalize-space()="Cancel"]`)))
	b.waitFor("the dialog gone", `!document.querySelector("#close-dialog")`)
	if st := show(t, c, id); st.Status != api.StatusActive {
		t.Fatalf("Cancel closed the conversation: %s", st.Status)
	}
	b.openDialog("Close", "close-dialog")
	b.requireNamedControls()
	b.run("confirm", chromedp.Click(chromedp.Search(`//dialog//button[normalize-space()="Close the conversation"]`)))
	b.waitModal("#wrapup-dialog")
	if st := show(t, c, id); st.Status != api.StatusClosed {
		t.Fatalf("after the confirmation the conversation is %s", st.Status)
	}
	b.run("wrap up", chromedp.Click(button("Wrap up")))
	b.waitFor("the task list", `location.pathname === "/" && !!document.querySelector("[role=status]")`)
	if got := b.text("main [role=status]"); !strings.Contains(got, "Wrap-up recorded") {
		t.Errorf("after the wrap-up the task list says %q", got)
	}
}
