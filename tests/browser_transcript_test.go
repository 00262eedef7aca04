package tests

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"outbound/internal/conversations"
	"outbound/internal/model"
)

// With a long transcript the composer stays on screen and the transcript
// shows its latest message, and follows a reply that arrives; the agent's
// messages sit on the right, the customer's on the left (Desk v2, defect 9).
func TestBrowserTranscriptFollowsTheConversation(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	b := startBrowser(t)
	to := newPhone()
	id := startSMS(t, c, "alice", to)
	for i := range 8 {
		if _, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: fmt.Sprintf("Agent line %d", i)}); err != nil {
			t.Fatal(err)
		}
		inbound(t, c, inboundSMS(c, to, fmt.Sprintf("Customer line %d", i), fmt.Sprintf("SMfollow%d%s", i, to[1:])))
	}
	b.signIn(c.Tenant, "alice")
	b.run("open the conversation", chromedp.Navigate(b.base+conversationPath(id)))
	b.waitFor("the transcript", `document.querySelectorAll("ol.transcript li").length === 17`)
	const onScreen = `(e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })`
	if !b.holds(`document.scrollingElement.scrollHeight <= innerHeight && ` + onScreen + `(document.querySelector("#message"))`) {
		t.Error("with 17 messages the page does not fit the window with the message box on it")
	}
	lastShown := `(() => { const t = document.querySelector("ol.transcript"), l = t.lastElementChild.getBoundingClientRect(), r = t.getBoundingClientRect();
		return l.bottom <= r.bottom + 1 && l.top >= r.top - 1 && ` + onScreen + `(t.lastElementChild); })()`
	if !b.holds(lastShown) {
		t.Error("the transcript does not show its latest message")
	}
	sides := `(() => { const t = document.querySelector("ol.transcript").getBoundingClientRect();
		const out = document.querySelector("ol.transcript li.outbound").getBoundingClientRect(), in_ = document.querySelector("ol.transcript li.inbound").getBoundingClientRect();
		return Math.abs(out.right - t.right) < 24 && out.left > t.left + 40 && Math.abs(in_.left - t.left) < 24 && in_.right < t.right - 40; })()`
	if !b.holds(sides) {
		t.Error("the agent's messages are not on the right and the customer's on the left")
	}

	form := url.Values{"From": {to}, "To": {entryAddress(c, "ep-sms")}, "Body": {"One more question"}, "MessageSid": {"SMfollowlast" + to[1:]}}
	if code := postSMS(t, form, true); code != http.StatusOK {
		t.Fatalf("webhook: %d", code)
	}
	b.capture("long-conversation")
	b.waitFor("the reply, shown at the end of the transcript", `document.querySelector("ol.transcript").lastElementChild.textContent.includes("One more question") && `+lastShown)
}
