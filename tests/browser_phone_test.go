package tests

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"outbound/internal/conversations"
	"outbound/internal/model"
)

// Every screen fits a 390 px phone, in both languages: the page never
// scrolls sideways, and an open dialog lies inside the screen with nothing
// in it cut off (its countdown, its buttons).
func TestBrowserFitsAPhone(t *testing.T) {
	for _, lang := range []string{"en", "tr"} {
		t.Run(lang, func(t *testing.T) {
			c := env.PeopleTenant(t)
			alice := startBrowser(t)
			bob := alice.window()
			for _, b := range []*browser{alice, bob} {
				b.run("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
			}
			mail := newEmail()
			startEmail(t, c, mail, "Your order of the twenty-seventh, with a subject longer than any phone is wide")
			inbound(t, c, conversations.InboundMessage{Channel: model.Email, To: entryAddress(c, "ep-email"), From: mail,
				CustomerMessage: model.CustomerMessage{Text: "Order-reference-" + strings.Repeat("X", 80) + " has not arrived.",
					HTML: `<p style="width:900px">A customer's table, wider than the phone</p>`, ProviderID: "phone-" + mail}})
			sms := startSMS(t, c, "alice", newPhone())

			bob.signIn(c.Tenant, "bob")
			bob.run("choose the language", chromedp.Navigate(bob.base+"/?lang="+lang))
			alice.signIn(c.Tenant, "alice")
			alice.run("choose the language", chromedp.Navigate(alice.base+"/?lang="+lang))
			alice.waitFor("the task list", `!!document.querySelector("#tasks")`)
			alice.requireFits("the task list")
			alice.capture("phone-" + lang + "-tasks")

			alice.run("open the new conversation dialog", chromedp.Click(chromedp.CSS(`form[action="/new"] button`)))
			alice.waitModal("#new-dialog")
			alice.requireFits("the new conversation dialog")
			alice.capture("phone-" + lang + "-new-conversation")
			alice.run("close it", chromedp.KeyEvent(kb.Escape))

			alice.run("open the email", chromedp.Navigate(alice.base+conversationPath(mustOpenWith(t, c, mail))))
			alice.waitFor("the transcript", `document.querySelector("ol.transcript").textContent.includes("has not arrived")`)
			alice.requireFits("an email conversation")
			alice.capture("phone-" + lang + "-email")

			alice.run("open the SMS", chromedp.Navigate(alice.base+conversationPath(sms)))
			alice.waitFor("the composer", `!!document.querySelector("#message")`)
			alice.requireFits("an SMS conversation")
			alice.capture("phone-" + lang + "-conversation")
			alice.run("open the transfer dialog", chromedp.Click(chromedp.CSS(`form[action="/transfer"] button`)))
			alice.waitModal("#transfer-dialog")
			alice.requireFits("the transfer dialog")
			alice.capture("phone-" + lang + "-transfer")
			alice.run("transfer to bob", chromedp.Click(chromedp.CSS("#target-agent-bob")),
				chromedp.Click(chromedp.CSS(`#transfer-form .actions button[type=submit]`)))

			bob.waitModal("#offers dialog")
			bob.requireFits("the offer")
			bob.capture("phone-" + lang + "-offer")
			bob.run("accept", chromedp.Click(chromedp.CSS(`#offers form[action="/accept"] button`)))
			bob.waitFor("bob's conversation", `location.pathname === "/conversation" && !!document.querySelector("#message")`)

			alice.waitModal("#wrapup-dialog")
			alice.requireFits("the wrap-up dialog")
			alice.capture("phone-" + lang + "-wrap-up")
		})
	}
}

// requireFits fails the test when the page is wider than the screen or an
// open dialog sticks out of it or cuts off its content.
func (b *browser) requireFits(screen string) {
	b.t.Helper()
	const js = `(() => {
		const w = document.documentElement.clientWidth, bad = [];
		if (document.documentElement.scrollWidth > w) bad.push("the page is " + document.documentElement.scrollWidth + " px wide");
		for (const d of document.querySelectorAll("dialog[open]")) {
			const r = d.getBoundingClientRect();
			if (r.left < 0 || r.right > w) bad.push("the dialog spans " + Math.round(r.left) + "–" + Math.round(r.right) + " px");
			if (d.scrollWidth > d.clientWidth) bad.push("the dialog's content is " + d.scrollWidth + " px in " + d.clientWidth);
		}
		return bad.join("; ");
	})()`
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("%s: %v", screen, err)
	}
	if got != "" {
		b.t.Errorf("%s on a 390 px phone: %s", screen, got)
	}
}

// A Turkish agent reads a refusal in Turkish, its §5 code kept (Desk v2,
// defect 3: the server's English message was shown).
func TestBrowserTurkishRefusal(t *testing.T) {
	c := env.Tenant(t)
	b := startBrowser(t)
	b.signIn(c.Tenant, "alice")
	b.run("choose Türkçe", chromedp.Navigate(b.base+"/?lang=tr"))
	b.openDialog("Yeni giden konuşma", "new-dialog")
	b.run("a number without its country code", chromedp.SendKeys(chromedp.CSS("#to"), "4155550142"),
		chromedp.SendKeys(chromedp.CSS("#new-message"), "Merhaba"), chromedp.Click(button("Yeni SMS")))
	b.waitFor("the refusal", `!!document.querySelector("dialog:modal [role=alert]")`)
	alert := b.text("dialog [role=alert]")
	if !strings.HasPrefix(alert, "INVALID_ADDRESS: adres geçersiz") || strings.Contains(alert, " the ") || strings.Contains(alert, "number") {
		t.Fatalf("the Turkish desk's refusal reads %q", alert)
	}
}
