package tests

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"go.uber.org/zap/zaptest"

	"outbound/internal/api"
	"outbound/internal/conversations"
	"outbound/internal/desktop"
	"outbound/internal/dev/testenv"
	"outbound/internal/model"
)

// browser is a headless Chromium (Debian's chromium package; .ci/run installs
// it) on a desktop served at http://localhost (a secure context, so the
// __Host- session cookie works over plain HTTP).
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("the desktop tests need Chromium: apt-get install chromium (.ci/run does)")
	}
	s := &desktop.Server{
		Client: &conversations.Client{Temporal: env.Temporal, IDKey: env.Key, Archive: env.Archive},
		Key:    deskKey, Dev: true, Log: zaptest.NewLogger(t),
	}
	h, err := s.Handler()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 800), chromedp.Flag("host-resolver-rules", "MAP localhost 127.0.0.1"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)}
	t.Cleanup(b.screenshotOnFailure)
	return b
}

// window opens a second window in a browser context of its own (its own
// cookies): another agent on the same desktop.
func (b *browser) window() *browser {
	b.run("start the browser") // a new browser context needs a running browser
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	w := &browser{t: b.t, ctx: ctx, base: b.base}
	b.t.Cleanup(w.screenshotOnFailure)
	return w
}

// screens is where the README's screenshots are written when set:
// go test ./tests -run TestBrowser -args -desktop.screenshots=$PWD/docs/desktop
var screens = flag.String("desktop.screenshots", "", "save the desktop's main screens as PNG files in this directory")

// capture saves the screen as name.png when -desktop.screenshots is set.
func (b *browser) capture(name string) {
	b.t.Helper()
	if *screens == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(*screens, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// run performs browser actions; a failure fails the test (with a screenshot).
func (b *browser) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// waitFor waits until the JavaScript condition holds on a fully loaded page:
// after a click that navigates, the next step must not query the page that
// is going away. It evaluates JavaScript rather than querying nodes, which
// a navigation in progress invalidates.
func (b *browser) waitFor(what, condition string) {
	b.t.Helper()
	js := `document.readyState === "complete" && (` + condition + `)`
	for deadline := time.Now().Add(15 * time.Second); ; {
		if ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			where, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.href + " " + document.body.innerText.slice(0, 300)`))
			b.t.Fatalf("%s: %s never held; the page: %s", what, condition, where)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// text reads the text of the first element the CSS selector finds, again if
// a live update replaced the element while it was read.
func (b *browser) text(css string) string {
	b.t.Helper()
	var err error
	for range 3 {
		var s string
		if s, err = chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(css))); err == nil {
			return s
		}
	}
	b.t.Fatalf("read %s: %v", css, err)
	return ""
}

// button finds a button by its accessible text.
func button(name string) chromedp.Search {
	return chromedp.Search(`//button[normalize-space()="` + name + `"]`)
}

// screenshotOnFailure saves the page as a test artifact (under
// $TEST_ARTIFACTS, else the test's temp dir, named in the log).
func (b *browser) screenshotOnFailure() {
	if !b.t.Failed() {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return
	}
	dir := os.Getenv("TEST_ARTIFACTS")
	if dir == "" {
		dir = b.t.TempDir()
	}
	path := filepath.Join(dir, strings.ReplaceAll(b.t.Name(), "/", "_")+".png")
	if os.WriteFile(path, png, 0o644) == nil {
		b.t.Logf("screenshot: %s", path)
	}
}

// signIn uses the dev sign-in page as an agent would.
func (b *browser) signIn(tenant, agent string) {
	b.t.Helper()
	b.run("open the desktop", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS("#agent")),
		chromedp.SetValue(chromedp.CSS("#agent"), tenant+"/"+agent))
	b.run("sign in", chromedp.Click(button("Sign in")))
	b.waitFor("the desktop", `!!document.querySelector("#state")`)
}

// openDialog presses the named button and waits for the dialog with the id:
// modal, with the focus inside it.
func (b *browser) openDialog(name, id string) {
	b.t.Helper()
	b.run("press "+name, chromedp.Click(button(name)))
	b.waitModal("#" + id)
}

// waitModal waits for the dialog the CSS selector finds: modal, with the
// focus inside it.
func (b *browser) waitModal(css string) {
	b.t.Helper()
	b.waitFor("the dialog "+css, `(d => !!d && d.matches(":modal") && d.contains(document.activeElement))(document.querySelector("`+css+`"))`)
}

// In a real browser: sign in, start an SMS conversation from a template in
// the new conversation dialog and see it delivered; a second start with the
// same customer shows its code in the dialog with everything as typed;
// Escape closes the dialog and the focus goes back to its button; every
// interactive element has an accessible name.
func TestBrowserStartsAnSMSConversation(t *testing.T) {
	c := env.Tenant(t)
	b := startBrowser(t)
	b.signIn(c.Tenant, "alice")
	b.requireNamedControls()
	to := newPhone()
	b.openDialog("New outbound conversation", "new-dialog")
	// Choosing fires change, on which the page's script re-renders the
	// dialog for the template (without script, the Choose button does).
	b.run("choose the template", chromedp.SetValue(chromedp.CSS("#new-template"), "greeting"))
	b.waitFor("the template's variables", `!!document.querySelector("dialog:modal #new-var-name")`)
	b.run("fill the form", chromedp.SendKeys(chromedp.CSS("#to"), to), chromedp.SendKeys(chromedp.CSS("#new-var-name"), "Ada"))
	b.requireNamedControls()
	b.capture("new-conversation")
	b.run("submit", chromedp.Click(button("New SMS")))
	b.waitFor("the conversation", `location.pathname === "/conversation" && !!document.querySelector("ol.transcript")`)
	b.waitFor("the greeting delivered", `(t => t.includes("Hello Ada, this is Acme support.") && t.includes("delivered"))(document.querySelector("ol.transcript").textContent)`)
	b.requireNamedControls()
	b.run("trigger the survey", chromedp.SetValue(chromedp.CSS("#flow"), "survey"), chromedp.Click(button("Trigger flow")))
	id := mustOpenWith(t, c, to)
	eventually(t, 5*time.Second, "the flow in the conversation's events", func() bool {
		ev := show(t, c, id).Events
		return len(ev) > 0 && ev[len(ev)-1].Kind == "flow" && ev[len(ev)-1].Detail == "survey"
	})

	b.openDialog("New outbound conversation", "new-dialog")
	b.run("fill the form", chromedp.SendKeys(chromedp.CSS("#to"), to), chromedp.SendKeys(chromedp.CSS("#new-message"), strings.Repeat("a", 161)))
	if n := b.text("#new-segments [data-segment-count]"); n != "2" {
		t.Errorf("161 GSM characters: the dialog counts %s segments, want 2", n)
	}
	b.run("submit", chromedp.Click(button("New SMS")))
	b.waitFor("the refusal", `!!document.querySelector("dialog:modal [role=alert]")`)
	if alert := b.text("dialog [role=alert]"); !strings.Contains(alert, "ACTIVE_CONVERSATION_EXISTS") {
		t.Fatalf("alert %q: want ACTIVE_CONVERSATION_EXISTS", alert)
	}
	if got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("#to").value`)); got != to {
		t.Errorf("after the refusal the To box holds %q, want %q as typed", got, to)
	}
	b.run("close with Escape", chromedp.KeyEvent(kb.Escape))
	b.waitFor("the focus back on the button", `!document.querySelector("dialog:modal") && document.activeElement.textContent === "New outbound conversation"`)
}

// requireNamedControls reads the browser's accessibility tree: every button,
// link, box and list of the page has a name a screen reader can say.
func (b *browser) requireNamedControls() {
	b.t.Helper()
	tree, err := chromedp.Call(b.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		b.t.Fatalf("read the accessibility tree: %v", err)
	}
	interactive := map[string]bool{"button": true, "link": true, "textbox": true, "combobox": true, "radio": true, "searchbox": true, "checkbox": true}
	checked := 0
	for _, n := range tree.Nodes {
		if n.Ignored || n.Role == nil || !interactive[strings.Trim(string(n.Role.Value), `"`)] {
			continue
		}
		checked++
		if n.Name == nil || strings.Trim(string(n.Name.Value), `" `) == "" {
			b.t.Errorf("a %s has no accessible name", n.Role.Value)
		}
	}
	if checked == 0 {
		b.t.Error("no interactive element in the accessibility tree")
	}
}

// A customer's SMS, through the signed webhook, appears in the open
// transcript without a reload (even if it lands before the page's event
// stream connects: the stream starts from what the page was rendered with).
func TestBrowserShowsRepliesLive(t *testing.T) {
	c := env.Tenant(t)
	b := startBrowser(t)
	to := newPhone()
	id := startSMS(t, c, "alice", to)
	b.signIn(c.Tenant, "alice")
	b.run("open the conversation", chromedp.Navigate(b.base+conversationPath(id)))
	b.waitFor("the conversation", `!!document.querySelector("ol.transcript")`)
	sent := time.Now()
	form := url.Values{"From": {to}, "To": {entryAddress(c, "ep-sms")}, "Body": {"Is it shipped yet?"}, "MessageSid": {"SMlive" + to[1:]}}
	if code := postSMS(t, form, true); code != http.StatusOK {
		t.Fatalf("webhook: %d", code)
	}
	for !strings.Contains(b.text("ol.transcript"), "Is it shipped yet?") {
		if time.Since(sent) > 5*time.Second {
			t.Fatal("the reply did not show without a reload within 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("on screen %s after the webhook", time.Since(sent).Round(time.Millisecond))
}

// tabTo presses Tab until the focused element is the one named (its id, or
// its text for links and buttons): it is reachable with the keyboard alone.
func (b *browser) tabTo(name string) {
	b.t.Helper()
	for range 40 {
		focused, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(e => e.id || e.textContent.trim())(document.activeElement)`))
		if err == nil && focused == name {
			return
		}
		b.run("tab", chromedp.KeyEvent(kb.Tab))
	}
	b.t.Fatalf("%q cannot be reached with Tab", name)
}

// The keyboard alone: sign in, start a conversation, send with Enter,
// transfer it to another agent, who accepts the offer with the keyboard,
// wrap up, and set the state. Tab moves between controls, arrows choose,
// Enter presses; dialogs take the focus when they open.
func TestBrowserKeyboardOnly(t *testing.T) {
	c := env.PeopleTenant(t)
	alice := startBrowser(t)
	bob := alice.window()
	bob.signIn(c.Tenant, "bob")

	alice.run("open the sign-in page", chromedp.Navigate(alice.base+"/signin"))
	alice.waitFor("the sign-in page", `!!document.querySelector("#agent")`)
	alice.tabTo("agent")
	alice.run("choose Alice by typing her name", chromedp.KeyEvent("Alice ("+c.Tenant+")"))
	alice.tabTo("Sign in")
	alice.run("sign in", chromedp.KeyEvent(kb.Enter))
	alice.waitFor("the desktop", `!!document.querySelector("#state") && document.querySelector(".agent").textContent === "Alice"`)

	alice.tabTo("New outbound conversation")
	alice.run("open the dialog", chromedp.KeyEvent(kb.Enter))
	alice.waitModal("#new-dialog")
	to := newPhone()
	alice.tabTo("to")
	alice.run("type the number", chromedp.KeyEvent(to))
	alice.tabTo("new-message")
	alice.run("type the message", chromedp.KeyEvent("Hello, typed with the keyboard"))
	alice.tabTo("New SMS")
	alice.run("submit", chromedp.KeyEvent(kb.Enter))
	alice.waitFor("the conversation", `location.pathname === "/conversation" && !!document.querySelector("#message")`)
	alice.tabTo("message")
	alice.run("type and press Enter", chromedp.KeyEvent("Second line of work"), chromedp.KeyEvent(kb.Enter))
	alice.waitFor("the message sent, the box emptied", `document.querySelector("ol.transcript").textContent.includes("Second line of work") && document.querySelector("#message").value === ""`)
	id := mustOpenWith(t, c, to)
	if got := len(show(t, c, id).Messages); got != 2 {
		t.Fatalf("want the first message and the one sent with Enter, got %d messages", got)
	}

	alice.tabTo("Transfer")
	alice.run("open the transfer dialog", chromedp.KeyEvent(kb.Enter))
	alice.waitModal("#transfer-dialog")
	alice.tabTo("q")
	alice.run("search", chromedp.KeyEvent("Bob"))
	alice.tabTo("target-agent-bob")
	alice.run("choose Bob", chromedp.KeyEvent(" "))
	alice.tabTo("Transfer")
	alice.run("transfer", chromedp.KeyEvent(kb.Enter))

	bob.waitModal("#offers dialog")
	if focused, _ := chromedp.Run(bob.ctx, chromedp.Evaluate[string](`document.activeElement.textContent`)); focused != "Accept" {
		t.Fatalf("the offer dialog focuses %q, want Accept", focused)
	}
	bob.run("accept with Enter", chromedp.KeyEvent(kb.Enter))
	bob.waitFor("bob's conversation", `location.pathname === "/conversation" && !!document.querySelector("#message")`)

	alice.waitModal("#wrapup-dialog")
	alice.tabTo("reason")
	alice.run("pick a reason", chromedp.KeyEvent(kb.ArrowDown))
	alice.tabTo("Wrap up")
	alice.run("wrap up", chromedp.KeyEvent(kb.Enter))
	alice.waitFor("the task list", `location.pathname === "/" && !!document.querySelector("#tasks")`)
	if _, inUse := agentInUse(t, c, "alice"); inUse != 0 {
		t.Fatalf("alice holds %d slots after wrapping up with the keyboard", inUse)
	}
	alice.tabTo("Idle")
	alice.run("press Idle", chromedp.KeyEvent(kb.Enter))
	eventually(t, 5*time.Second, "alice idle", func() bool { state, _ := agentInUse(t, c, "alice"); return state == api.AgentIdle })
}

// Transfer to an agent signed in in another window: the dialog lists agents
// and queues (Search filters them), the other agent's offer dialog appears
// without a reload and Accept takes the conversation; the first agent's
// wrap-up dialog appears by itself, and Wrap up frees the slot.
func TestBrowserTransferOfferAndWrapUp(t *testing.T) {
	c := env.PeopleTenant(t)
	alice := startBrowser(t)
	bob := alice.window()
	id := startSMS(t, c, "alice", newPhone())
	bob.signIn(c.Tenant, "bob")
	alice.signIn(c.Tenant, "alice")
	alice.run("open the conversation", chromedp.Navigate(alice.base+conversationPath(id)))
	alice.waitFor("the conversation", `!!document.querySelector("#message")`)
	alice.capture("conversation")
	alice.openDialog("Transfer", "transfer-dialog")
	alice.run("search", chromedp.SendKeys(chromedp.CSS("#q"), "bo"))
	shown, _ := chromedp.Run(alice.ctx, chromedp.Evaluate[string](`document.querySelector("#transfer-form").innerText`))
	if strings.Contains(shown, "Carol") || !strings.Contains(shown, "Bob") {
		t.Errorf("searching bo shows %q: want Bob and not Carol", shown)
	}
	alice.requireNamedControls()
	alice.capture("transfer")
	alice.run("choose Bob", chromedp.Click(chromedp.Search(`//dialog//label[contains(., "Bob")]/input`)))
	alice.run("transfer", chromedp.Click(chromedp.Search(`//dialog//button[normalize-space()="Transfer"]`)))

	bob.waitModal("#offers dialog")
	bob.requireNamedControls()
	bob.capture("offer")
	bob.run("press Escape", chromedp.KeyEvent(kb.Escape))
	bob.waitFor("the offer still shown, no longer modal", `(d => d.open && !d.matches(":modal"))(document.querySelector("#offers dialog"))`)
	bob.run("accept", chromedp.Click(chromedp.Search(`//dialog//button[normalize-space()="Accept"]`)))
	bob.waitFor("the conversation, bob's now", `location.pathname === "/conversation" && !!document.querySelector("#message")`)
	if st := show(t, c, id); st.Owner != "bob" {
		t.Fatalf("after bob accepted, the owner is %q", st.Owner)
	}

	alice.waitModal("#wrapup-dialog")
	alice.requireNamedControls()
	alice.capture("wrap-up")
	alice.run("pick a reason", chromedp.SetValue(chromedp.CSS("#reason"), "follow-up"),
		chromedp.Click(button("Wrap up")))
	alice.waitFor("the task list", `location.pathname === "/"`)
	if _, inUse := agentInUse(t, c, "alice"); inUse != 0 {
		t.Fatalf("alice holds %d slots after her wrap-up", inUse)
	}
}

// An offer nobody answers: its dialog counts down, goes when the offer times
// out, and the state shows RONA, explained, all without a reload.
func TestBrowserOfferTimesOutToRONA(t *testing.T) {
	c := env.PeopleTenant(t)
	b := startBrowser(t)
	id := startSMS(t, c, "alice", newPhone())
	b.signIn(c.Tenant, "bob")
	if _, err := c.Transfer(testContext(t), id, "alice", "bob", ""); err != nil {
		t.Fatal(err)
	}
	b.waitModal("#offers dialog")
	if left := b.text("#offers [data-countdown]"); !strings.HasSuffix(left, " s)") {
		t.Errorf("the offer shows %q, want the seconds left", left)
	}
	offer, _ := testenv.PeopleTimeouts()
	start := time.Now()
	for !b.holds(`!document.querySelector("#offers dialog") && document.querySelector("#state .current").textContent === "RONA"`) {
		if time.Since(start) > offer+5*time.Second {
			t.Fatalf("%s after the offer: the dialog did not go or the state is not RONA", time.Since(start).Round(time.Second))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !b.holds(`document.querySelector("#state").getAttribute("aria-describedby") === "rona-hint" && document.querySelector("#rona-hint").textContent.includes("Available")`) {
		t.Error("RONA is not explained beside the state control")
	}
	b.capture("rona")
}

// holds reports whether the JavaScript condition holds now.
func (b *browser) holds(condition string) bool {
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](condition))
	return err == nil && ok
}

// A second agent who has the first one's conversation URL gets 404.
func TestBrowserOtherAgentsConversationIsNotFound(t *testing.T) {
	c := env.Tenant(t)
	b := startBrowser(t)
	id := startSMS(t, c, "alice", newPhone())
	b.signIn(c.Tenant, "carol")
	b.run("open alice's conversation by URL", chromedp.Navigate(b.base+conversationPath(id)))
	if body := b.text("body"); !strings.Contains(body, "404") || strings.Contains(body, "Hello") {
		t.Fatalf("carol sees %q", body)
	}
}

// The Turkish catalog: the selector switches the language, which then stays
// for the new conversation dialog.
func TestBrowserTurkishNewConversation(t *testing.T) {
	c := env.Tenant(t)
	b := startBrowser(t)
	b.signIn(c.Tenant, "alice")
	b.run("choose Türkçe", chromedp.Click(chromedp.Search(`//a[normalize-space()="Türkçe"]`)))
	b.waitFor("the Turkish page", `document.documentElement.lang === "tr"`)
	b.openDialog("Yeni giden konuşma", "new-dialog")
	dialog := b.text("#new-dialog")
	for _, want := range []string{"Kanal", "Bitiş", "Gönderen", "Şablon", "Yeni SMS", "ülke kodunu"} {
		if !strings.Contains(dialog, want) {
			t.Errorf("the Turkish dialog lacks %q:\n%s", want, dialog)
		}
	}
}

// An email with an inline image from the composer; a 16 KB image is refused
// in place with its code, the text still as typed.
func TestBrowserEmailWithInlineImage(t *testing.T) {
	c := env.Tenant(t)
	b := startBrowser(t)
	to := newEmail()
	id := startEmail(t, c, to, "Your order")
	dir := t.TempDir()
	small, big := filepath.Join(dir, "logo.png"), filepath.Join(dir, "photo.png")
	writeBytes(t, small, noisePNG(t, 16))
	writeBytes(t, big, noisePNG(t, 64))
	if n := len(noisePNG(t, 64)); n <= 15360 || n > 17*1024 {
		t.Fatalf("the big image is %d bytes, want about 16 KB", n)
	}
	b.signIn(c.Tenant, "alice")
	b.run("open the conversation", chromedp.Navigate(b.base+conversationPath(id)))
	b.waitFor("the composer", `!!document.querySelector("#images")`)
	b.run("compose with the big image", chromedp.SendKeys(chromedp.CSS("#message"), "Here is the photo"),
		chromedp.SetUploadFiles(chromedp.CSS("#images"), []string{big}), chromedp.Click(button("Send")))
	b.waitFor("the refusal", `!!document.querySelector("#composer [role=alert]")`)
	if alert := b.text("#composer [role=alert]"); !strings.HasPrefix(alert, "IMAGE_TOO_LARGE: ") || strings.Contains(alert, "<") {
		t.Fatalf("alert %q: want IMAGE_TOO_LARGE", alert)
	}
	if got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("#message").value`)); got != "Here is the photo" {
		t.Errorf("after the refusal the message box holds %q", got)
	}
	b.run("attach the small image instead", chromedp.SetUploadFiles(chromedp.CSS("#images"), []string{small}), chromedp.Click(button("Send")))
	b.waitFor("the message sent", `location.pathname === "/conversation" && document.querySelector("ol.transcript").textContent.includes("Here is the photo")`)
	if html := emailHTML(t, to); !strings.Contains(html, "<img") || !strings.Contains(html, "Here is the photo") {
		t.Fatalf("the email sent: %s", html)
	}
}

func writeBytes(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustOpenWith(t *testing.T, c *conversations.Client, customer string) string {
	t.Helper()
	list, err := c.List(testContext(t), conversations.ListFilter{Customer: customer, Open: true})
	if err != nil || len(list) != 1 {
		t.Fatalf("want one open conversation with %s: %v %v", customer, list, err)
	}
	return list[0].ID
}

// With the keyboard alone an agent reaches the link to a long message's
// whole text beside its preview; the notice of a held email reads as text;
// every control on the page has a name.
func TestBrowserLongMessageByKeyboard(t *testing.T) {
	c := env.Tenant(t)
	b := startBrowser(t)
	to := newEmail()
	id := startEmail(t, c, to, "Your report "+to)
	workflowID, _, _ := api.SplitConversationID(id)
	if err := api.ConversationHeld.Send(testContext(t), env.Temporal, workflowID, api.HeldNotice{Conversation: id}); err != nil {
		t.Fatal(err)
	}
	whole := strings.Repeat("A line of the customer's report.\n", 4000)
	inbound(t, c, conversations.InboundMessage{Channel: model.Email, To: entryAddress(c, "ep-email"), From: to,
		CustomerMessage: model.CustomerMessage{Text: whole, ProviderID: "long-kb-" + to}})
	b.signIn(c.Tenant, "alice")
	b.run("open the conversation", chromedp.Navigate(b.base+conversationPath(id)))
	b.waitFor("the held notice", `!!document.querySelector("p.held[role=status]")`)
	b.requireNamedControls()
	b.tabTo("The whole message")
	href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement.href`))
	if err != nil {
		t.Fatal(err)
	}
	b.run("open the whole message", chromedp.Navigate(href))
	b.waitFor("the whole text", `document.body.innerText.length > 100000`)
	if got := b.text("body"); strings.TrimSpace(got) != strings.TrimSpace(whole) {
		t.Fatalf("the whole message: %d characters of %d", len(got), len(whole))
	}
}
