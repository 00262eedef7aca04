package tests

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/smtp"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/dev/testenv"
	"outbound/internal/model"
	"outbound/internal/sms"
)

// postSMS posts an inbound SMS webhook to the gateway, signed like the
// provider unless sign is false.
func postSMS(t *testing.T, form url.Values, sign bool) int {
	t.Helper()
	status, err := webhook(form, sign)
	if err != nil {
		t.Fatal(err)
	}
	return status
}

// webhook is postSMS for any goroutine: it answers the error.
func webhook(form url.Values, sign bool) (int, error) {
	u := env.GatewayURL + "/webhooks/sms"
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sign {
		req.Header.Set(sms.SignatureHeader, sms.Signature(testenv.SMSAuthToken, u, form))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// A signed webhook lands in the conversation; an unsigned one is refused and
// changes nothing; a message after close opens a new conversation that names
// the old one.
func TestInboundSMSWebhook(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newPhone()
	id := startSMS(t, c, "alice", to)
	form := func(body, sid string) url.Values {
		return url.Values{"From": {to}, "To": {entryAddress(c, "ep-sms")}, "Body": {body}, "MessageSid": {sid}}
	}
	if code := postSMS(t, form("forged", "SM"+strings.Repeat("0", 32)), false); code != http.StatusForbidden {
		t.Fatalf("unsigned webhook: %d, want 403", code)
	}
	if code := postSMS(t, form("Where is my parcel?", "SM"+strings.Repeat("1", 32)), true); code != http.StatusOK {
		t.Fatalf("signed webhook: %d", code)
	}
	msgs := messagesOf(t, c, id, 2)
	if len(msgs) != 2 || msgs[1].Text != "Where is my parcel?" || msgs[1].Direction != model.Inbound {
		t.Fatalf("want the signed reply only, got %+v", msgs)
	}

	if _, err := c.Close(ctx, id, "alice"); err != nil {
		t.Fatal(err)
	}
	if code := postSMS(t, form("Sorry, one more thing", "SM"+strings.Repeat("2", 32)), true); code != http.StatusOK {
		t.Fatalf("webhook after close: %d", code)
	}
	var next api.ConversationState
	// The list reads the visibility store, which learns of the close a moment
	// later: on a loaded machine the closed conversation still shows as open.
	eventually(t, 15*time.Second, "the new conversation in the list", func() bool {
		list, err := c.List(ctx, conversations.ListFilter{Customer: to, Open: true})
		if err != nil || len(list) != 1 || list[0].ID == id {
			return false
		}
		next = show(t, c, list[0].ID)
		return true
	})
	if next.ID == id || next.PreviousConversation == nil || *next.PreviousConversation != id {
		t.Fatalf("want a new conversation after %s, got %s with previous %v", id, next.ID, next.PreviousConversation)
	}
}

// A media-only MMS (empty Body) through the signed webhook lands with its
// media by reference; "S\u200bTOP" opts the customer out (found: answered
// 400 and lost; the zero-width space hid the keyword).
func TestInboundMMSAndHiddenStop(t *testing.T) {
	c := env.Tenant(t)
	to := newPhone()
	id := startSMS(t, c, "alice", to)
	media := "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/SM1/Media/ME1"
	mms := url.Values{"From": {to}, "To": {entryAddress(c, "ep-sms")}, "Body": {""}, "MessageSid": {"SM" + strings.Repeat("3", 32)},
		"NumMedia": {"1"}, "MediaUrl0": {media}, "MediaContentType0": {"image/jpeg"}}
	if code := postSMS(t, mms, true); code != http.StatusOK {
		t.Fatalf("media-only MMS: %d", code)
	}
	msgs := messagesOf(t, c, id, 2)
	if want := []model.Media{{URL: media, ContentType: "image/jpeg"}}; len(msgs[1].Media) != 1 || msgs[1].Media[0] != want[0] {
		t.Fatalf("the MMS in the transcript: %+v, want its media %+v", msgs[1], want)
	}
	stop := url.Values{"From": {to}, "To": {entryAddress(c, "ep-sms")}, "Body": {"S\u200bTOP"}, "MessageSid": {"SM" + strings.Repeat("4", 32)}}
	if code := postSMS(t, stop, true); code != http.StatusOK {
		t.Fatalf("STOP: %d", code)
	}
	messagesOf(t, c, id, 3)
	_, err := c.Send(testContext(t), conversations.Sync, id, "alice", model.Compose{Text: "one more"})
	wantCode(t, err, codes.OptedOut)
}

// docs/rules.md §3: an entry point sends from a toll-free number, a fixed line, a
// short code or an alphanumeric sender ID; customers' replies to the numbers
// and the short code open conversations there, while nothing routes to the
// sender ID, which cannot receive.
func TestSMSSendersOfEveryKind(t *testing.T) {
	c := env.ClientFor(testenv.SendersTenant)
	ctx := testContext(t)
	for i, ep := range []string{"ep-toll-free", "ep-landline", "ep-short-code", "ep-named"} {
		agent := []string{"alice", "bob"}[i%2]
		to := newPhone()
		id, err := c.Start(ctx, conversations.StartOptions{Agent: agent, Channel: model.SMS, EntryPoint: ep, To: to, First: &model.Compose{Text: "Hello from Acme"}})
		if err != nil {
			t.Fatalf("%s: %v", ep, err)
		}
		eventually(t, 10*time.Second, ep+"'s SMS in the outbox", func() bool { return len(smsOutbox(t, to)) == 1 })
		if from := smsOutbox(t, to)[0]["from"]; from != entryAddress(c, ep) {
			t.Fatalf("%s sent from %v, want %s", ep, from, entryAddress(c, ep))
		}
		if _, err := c.Close(ctx, id, agent); err != nil {
			t.Fatal(err)
		}
	}
	if got := entryAddress(c, "ep-toll-free") + " " + entryAddress(c, "ep-short-code"); got != "+18002345678 12345" {
		t.Fatalf("stored senders %q", got)
	}

	for i, to := range []string{"+18002345678", "12345", "AcmeCo"} {
		from := newPhone()
		form := url.Values{"From": {from}, "To": {to}, "Body": {"Hi"}, "MessageSid": {fmt.Sprintf("SM%032d", 900+i)}}
		code := postSMS(t, form, true)
		if to == "AcmeCo" {
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("an SMS to the sender ID: %d, want 422 (no entry point receives there)", code)
			}
			continue
		}
		if code != http.StatusOK {
			t.Fatalf("an SMS to %s: %d", to, code)
		}
		want := map[string]string{"+18002345678": "ep-toll-free", "12345": "ep-short-code"}[to]
		eventually(t, 10*time.Second, "a conversation on "+want, func() bool {
			list, err := c.List(ctx, conversations.ListFilter{Customer: from, Open: true})
			return err == nil && len(list) == 1 && list[0].EntryPoint == want
		})
	}
}

// noisePNG makes a PNG of about the given size (random pixels do not compress).
func noisePNG(t *testing.T, side int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	r := rand.New(rand.NewPCG(1, uint64(side)))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	img.Set(0, 0, color.NRGBA{A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func startEmail(t *testing.T, c *conversations.Client, to, subject string) string {
	t.Helper()
	id, err := c.Start(testContext(t), conversations.StartOptions{Agent: "alice", Channel: "email", EntryPoint: "ep-email", To: to, Subject: subject})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return id
}

func countFiles(t *testing.T, dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// Rules 12 and 13: an inline image is hosted on S3 and referenced by URL;
// oversized, disguised, cid: and PCI-tenant images are refused before
// anything is uploaded or sent.
func TestInlineImagesOnS3(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newEmail()
	id := startEmail(t, c, to, "Your chart")
	chart := noisePNG(t, 48)
	if len(chart) < 9000 || len(chart) > 15360 {
		t.Fatalf("test image is %d bytes, want about 10 KB", len(chart))
	}
	res, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{
		HTML: `<p>Here is your chart:</p><img src="chart.png"><script>alert(1)</script>`, Images: []model.Image{{Name: "chart.png", Data: chart}},
	})
	if err != nil || res.Status != model.MessageSent {
		t.Fatalf("send: %+v %v", res, err)
	}
	html := emailHTML(t, to)
	src := regexp.MustCompile(`<img src="(http[^"]+)"`).FindStringSubmatch(html)
	if src == nil || strings.Contains(html, "<script") {
		t.Fatalf("want a sanitised body with the image URL, got %s", html)
	}
	resp, err := http.Get(src[1])
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(served, chart) || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("the URL serves %d bytes of %s, want the PNG", len(served), resp.Header.Get("Content-Type"))
	}

	objects, emails := countFiles(t, env.S3.Dir()), countFiles(t, filepath.Join(env.Outbox, "email"))
	refused := []struct {
		name string
		c    *conversations.Client
		msg  model.Compose
		code codes.Code
	}{
		{"16 KB image", c, model.Compose{Text: "big", Images: []model.Image{{Name: "big.png", Data: noisePNG(t, 64)}}}, codes.ImageTooLarge},
		{"text renamed .png", c, model.Compose{Text: "fake", Images: []model.Image{{Name: "notes.png", Data: []byte("just some text, not an image")}}}, codes.UnsupportedImageType},
		{"cid: reference", c, model.Compose{HTML: `<img src="cid:logo@acme">`}, codes.CIDNotSupported},
	}
	for _, r := range refused {
		_, err := r.c.Send(ctx, conversations.Sync, id, "alice", r.msg)
		wantCode(t, err, r.code)
	}
	pci := env.ClientFor(testenv.PCITenant)
	pciID := startEmail(t, pci, newEmail(), "PCI tenant")
	_, err = pci.Send(ctx, conversations.Sync, pciID, "alice", model.Compose{Text: "img", Images: []model.Image{{Name: "chart.png", Data: chart}}})
	wantCode(t, err, codes.InlineImagesDisabled)

	if n := countFiles(t, env.S3.Dir()); n != objects {
		t.Fatalf("refused images were uploaded: %d files, want %d", n, objects)
	}
	if n := countFiles(t, filepath.Join(env.Outbox, "email")); n != emails {
		t.Fatalf("refused messages were sent: %d emails, want %d", n, emails)
	}
	if n := len(show(t, c, id).Messages); n != 1 {
		t.Fatalf("refused messages changed the transcript: %d messages", n)
	}
}

// Rules 9 and 12: the start's first message and a later send go through one
// compose path, so the same template and image give byte-identical HTML, in
// the transcript and in the emails the customer gets.
func TestFirstAndLaterMessagesComposeAlike(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newEmail()
	msg := model.Compose{
		Template: "followup", Vars: map[string]string{"name": "Ada", "ticket": "7"},
		Images: []model.Image{{Name: "chart.png", Data: noisePNG(t, 48)}},
	}
	id, err := c.Start(ctx, conversations.StartOptions{
		Agent: "alice", Channel: model.Email, EntryPoint: "ep-email", To: to, Subject: "Your chart", First: &msg,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.Send(ctx, conversations.Sync, id, "alice", msg); err != nil || res.Status != model.MessageSent {
		t.Fatalf("send: %+v %v", res, err)
	}
	msgs := show(t, c, id).Messages
	if len(msgs) != 2 || msgs[0].HTML != msgs[1].HTML || msgs[0].Text != msgs[1].Text {
		t.Fatalf("first and later message differ:\n%q\n%q", msgs[0].HTML, msgs[1].HTML)
	}
	if !strings.Contains(msgs[0].HTML, "<p>Hello Ada,</p>") || !regexp.MustCompile(`<img src="http[^"]+\.png"`).MatchString(msgs[0].HTML) {
		t.Fatalf("want the template's body with the hosted image, got %s", msgs[0].HTML)
	}
	var sent []string
	eventually(t, 10*time.Second, "both emails in the outbox", func() bool {
		sent = emailHTMLs(t, to)
		return len(sent) == 2
	})
	if sent[0] != sent[1] || sent[0] != msgs[0].HTML {
		t.Fatalf("the emails' HTML differ:\n%q\n%q\ntranscript %q", sent[0], sent[1], msgs[0].HTML)
	}
}

// emailHTMLs returns the HTML part of every email sent to an address.
func emailHTMLs(t *testing.T, to string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(env.Outbox, "email", "*.eml"))
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "To: <"+to+">") {
			continue
		}
		e, err := enmime.ReadEnvelope(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.HTML)
	}
	return out
}

// emailHTML returns the HTML part of the last email sent to an address.
func emailHTML(t *testing.T, to string) string {
	t.Helper()
	raw := findEmail(t, to)
	env, err := enmime.ReadEnvelope(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return env.HTML
}

// Rule 10 for email: a reply to the service's Message-ID, delivered over
// SMTP, threads into the same conversation.
func TestEmailReplyThreadsOverSMTP(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newEmail()
	id := startEmail(t, c, to, "Your refund")
	if _, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: "Your refund is on its way."}); err != nil {
		t.Fatal(err)
	}
	sent, err := enmime.ReadEnvelope(strings.NewReader(findEmail(t, to)))
	if err != nil {
		t.Fatal(err)
	}
	messageID := sent.GetHeader("Message-Id")
	reply := "From: <" + to + ">\r\nTo: <" + entryAddress(c, "ep-email") + ">\r\nSubject: Re: Your refund\r\n" +
		"Message-ID: <reply1@example.com>\r\nIn-Reply-To: " + messageID + "\r\nReferences: " + messageID + "\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nThank you!\r\n\r\nOn Tue, Acme wrote:\r\n> Your refund is on its way.\r\n"
	if err := smtp.SendMail(env.MailinAddr, nil, to, []string{entryAddress(c, "ep-email")}, []byte(reply)); err != nil {
		t.Fatalf("SMTP: %v", err)
	}
	msgs := messagesOf(t, c, id, 2)
	last := msgs[len(msgs)-1]
	if last.Direction != model.Inbound || strings.TrimSpace(last.Text) != "Thank you!" {
		t.Fatalf("want the reply threaded without its quote, got %+v", last)
	}
}
