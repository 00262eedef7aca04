package tests

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"outbound/internal/conversations"
	"outbound/internal/model"
)

// A message that could not be delivered stands out from a delivered one by
// colour, icon and words, its reason beside it, and the task list marks its
// conversation (Desk v2, defect 4: it was the same small grey text).
func TestBrowserFailedDeliveryStandsOut(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	b := startBrowser(t)
	to := newEmail()
	id := startEmail(t, c, to, "Your refund "+to)
	if _, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: "This one arrives."}); err != nil {
		t.Fatal(err)
	}
	lost, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: "This one bounces."})
	if err != nil {
		t.Fatal(err)
	}
	var eml string
	eventually(t, 10*time.Second, "the second email in the outbox", func() bool { eml = findEmailWith(t, to, "This one bounces."); return eml != "" })
	bounce(t, c, eml, to, lost.MessageID, "552 5.2.2 mailbox full")
	eventually(t, 10*time.Second, "the bounce recorded", func() bool { return show(t, c, id).Messages[1].Status == model.MessageFailed })

	b.signIn(c.Tenant, "alice")
	b.run("open the conversation", chromedp.Navigate(b.base+conversationPath(id)))
	b.waitFor("the transcript", `!!document.querySelector("ol.transcript")`)
	b.capture("failed-delivery")
	failed := b.text("ol.transcript li.failed")
	if !strings.Contains(failed, "This one bounces.") || !strings.Contains(failed, "Not delivered") || !strings.Contains(failed, "mailbox full") {
		t.Errorf("the failed message reads %q: want its text, Not delivered and the reason", failed)
	}
	if !b.holds(`!!document.querySelector("ol.transcript li.failed .status [aria-hidden=true]")`) {
		t.Error("the failed message has no icon")
	}
	colours, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("ol.transcript li .status")].map(s => getComputedStyle(s).color).join(" / ")`))
	if parts := strings.Split(colours, " / "); len(parts) != 2 || parts[0] == parts[1] {
		t.Errorf("delivered and failed statuses in colours %q: want them different", colours)
	}
	mark, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(l => l ? l.textContent : "no link")([...document.querySelectorAll("#tasks a")].find(a => new URL(a.href).searchParams.get("id") === "`+id+`"))`))
	if !strings.Contains(mark, "1 not delivered") {
		t.Errorf("the task list shows %q for the conversation: want it marked not delivered", mark)
	}
}
