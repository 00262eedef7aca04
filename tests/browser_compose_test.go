package tests

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Enter in the To box or in a template's variable starts the conversation
// (Desk v2, defect 6: it pressed the template's Choose button, and nothing
// started), which opens with the focus in its message box and marked in the
// task list. Choosing a template fills the form in place and previews its
// text, the variables filled in as they are typed.
func TestBrowserEnterStartsFromTheNewConversationDialog(t *testing.T) {
	c := env.Tenant(t)
	b := startBrowser(t)
	b.signIn(c.Tenant, "alice")

	b.openDialog("New outbound conversation", "new-dialog")
	to := newPhone()
	b.run("type a message and the number, then Enter", chromedp.SendKeys(chromedp.CSS("#new-message"), "Your parcel ships today"),
		chromedp.SendKeys(chromedp.CSS("#to"), to), chromedp.KeyEvent(kb.Enter))
	b.waitFor("the conversation", `location.pathname === "/conversation" && !!document.querySelector("ol.transcript")`)
	id := mustOpenWith(t, c, to)
	if got := show(t, c, id).Messages[0].Text; got != "Your parcel ships today" {
		t.Fatalf("the first message: %q", got)
	}
	// Defect 14: the focus was left on the page's body; the open
	// conversation was not marked in the task list.
	if !b.holds(`document.activeElement.id === "message"`) {
		t.Error("after the start the focus is not on the message box")
	}
	if !b.holds(`(a => !!a && new URL(a.href).searchParams.get("id") === "` + id + `")(document.querySelector("#tasks li.current a[aria-current=page]"))`) {
		t.Error("the task list does not mark the conversation on screen")
	}

	b.openDialog("New outbound conversation", "new-dialog")
	if b.holds(`!!document.querySelector("#new-dialog button[formmethod=get]")`) {
		t.Error("the dialog still has a button that only re-renders it")
	}
	b.run("choose the template", chromedp.SetValue(chromedp.CSS("#new-template"), "greeting"))
	b.waitFor("the template's variable and preview", `!!document.querySelector("dialog:modal #new-var-name") && !!document.querySelector("dialog:modal #new-preview")`)
	if got := b.text("#new-preview"); got != "Hello [name], this is Acme support." {
		t.Errorf("the preview before the name is typed: %q", got)
	}
	to = newPhone()
	b.run("fill the form, Enter in the variable", chromedp.SendKeys(chromedp.CSS("#to"), to), chromedp.SendKeys(chromedp.CSS("#new-var-name"), "Ada"))
	if got := b.text("#new-preview"); got != "Hello Ada, this is Acme support." {
		t.Errorf("the preview once the name is typed: %q", got)
	}
	b.run("press Enter in the variable", chromedp.KeyEvent(kb.Enter))
	b.waitFor("the conversation", `location.pathname === "/conversation" && document.querySelector("ol.transcript").textContent.includes("Hello Ada")`)
}
