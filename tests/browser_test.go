package tests

import (
	"context"
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

	"outbound/internal/conversations"
	"outbound/internal/desktop"
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
	h, err := (&desktop.Server{
		Client: &conversations.Client{Temporal: env.Temporal, IDKey: env.Key, Archive: env.Archive},
		Key:    []byte(desktop.DevSessionKey), Dev: true, Log: zaptest.NewLogger(t),
	}).Handler()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("host-resolver-rules", "MAP localhost 127.0.0.1"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)}
	t.Cleanup(b.screenshotOnFailure)
	return b
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
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(90))
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

// In a real browser: sign in, start an SMS conversation from a template and
// see it delivered; a second start with the same customer shows its code;
// every interactive element has an accessible name.
func TestBrowserStartsAnSMSConversation(t *testing.T) {
	c := env.Tenant(t)
	b := startBrowser(t)
	b.signIn(c.Tenant, "alice")
	to := newPhone()
	b.run("open the new conversation form", chromedp.Click(chromedp.Search(`//a[normalize-space()="New outbound conversation"]`)))
	b.waitFor("the form", `location.pathname === "/new" && !!document.querySelector("#template")`)
	// Choosing fires change, on which the page's script re-renders the form
	// for the template (without script, the Choose button does).
	b.run("choose the template", chromedp.SetValue(chromedp.CSS("#template"), "greeting"))
	b.waitFor("the template's variables", `!!document.querySelector("#var-name")`)
	b.run("fill the form", chromedp.SendKeys(chromedp.CSS("#to"), to), chromedp.SendKeys(chromedp.CSS("#var-name"), "Ada"))
	b.requireNamedControls()
	b.run("submit", chromedp.Click(button("New SMS")))
	b.waitFor("the conversation", `location.pathname === "/conversation" && !!document.querySelector("ol.transcript")`)
	transcript := b.text("ol.transcript")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(transcript, "delivered") && time.Now().Before(deadline); {
		b.run("reload", chromedp.Reload())
		b.waitFor("the conversation", `!!document.querySelector("ol.transcript")`)
		transcript = b.text("ol.transcript")
	}
	if !strings.Contains(transcript, "Hello Ada, this is Acme support.") || !strings.Contains(transcript, "delivered") {
		t.Fatalf("transcript %q: want the greeting, delivered", transcript)
	}

	b.run("start again with the same customer", chromedp.Navigate(b.base+"/new"))
	b.waitFor("the form", `!!document.querySelector("#message")`)
	b.run("fill the form", chromedp.SendKeys(chromedp.CSS("#to"), to), chromedp.SendKeys(chromedp.CSS("#message"), "hello again"),
		chromedp.Click(button("New SMS")))
	b.waitFor("the refusal", `!!document.querySelector("[role=alert]")`)
	if alert := b.text("[role=alert]"); !strings.Contains(alert, "ACTIVE_CONVERSATION_EXISTS") {
		t.Fatalf("alert %q: want ACTIVE_CONVERSATION_EXISTS", alert)
	}
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

// The keyboard alone starts a conversation and sends a message: Tab to each
// control, type, Enter on links and buttons, Enter in the message box sends.
func TestBrowserKeyboardOnly(t *testing.T) {
	c := env.Tenant(t)
	b := startBrowser(t)
	b.signIn(c.Tenant, "alice")
	b.tabTo("New outbound conversation")
	b.run("open the form", chromedp.KeyEvent(kb.Enter))
	b.waitFor("the form", `location.pathname === "/new" && !!document.querySelector("#to")`)
	to := newPhone()
	b.tabTo("to")
	b.run("type the number", chromedp.KeyEvent(to))
	b.tabTo("message")
	b.run("type the message", chromedp.KeyEvent("Hello, typed with the keyboard"))
	b.tabTo("New SMS")
	b.run("submit", chromedp.KeyEvent(kb.Enter))
	b.waitFor("the conversation", `location.pathname === "/conversation" && !!document.querySelector("#message")`)
	b.tabTo("message")
	b.run("type and press Enter", chromedp.KeyEvent("Second line of work"), chromedp.KeyEvent(kb.Enter))
	b.waitFor("the message sent", `document.querySelector("ol.transcript").textContent.includes("Second line of work")`)
	if got := len(show(t, c, mustOpenWith(t, c, to)).Messages); got != 2 {
		t.Fatalf("want the first message and the one sent with Enter, got %d messages", got)
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
