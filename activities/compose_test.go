package activities

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"outbound/internal/codes"
	"outbound/internal/dev/fakes3"
	"outbound/internal/directory"
	"outbound/internal/imagestore"
	"outbound/internal/model"
)

var testPNG = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), bytes.Repeat([]byte{1}, 10*1024)...)

// recordingStore is an ImageStore that remembers what was put.
type recordingStore struct {
	puts []string // keys
	fail error
}

func (s *recordingStore) Put(_ context.Context, key, contentType string, _ []byte) (string, error) {
	if s.fail != nil {
		return "", s.fail
	}
	s.puts = append(s.puts, key+" "+contentType)
	return "https://img.example/" + key, nil
}

// acme loads examples/acme.yaml, edited by the replacer.
func acme(t *testing.T, edits ...string) *directory.Directory {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "examples", "acme.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := directory.Parse("acme.yaml", []byte(strings.NewReplacer(edits...).Replace(string(data))))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const conv = "conversation/acme/ep-email/0123456789abcdef/run-1"

func TestComposeMessageRefusals(t *testing.T) {
	long := strings.Repeat("x", 1700)
	for _, tc := range []struct {
		name string
		req  model.ComposeRequest
		want codes.Code
	}{
		{"unknown template", model.ComposeRequest{Channel: model.SMS, Compose: model.Compose{Template: "nope"}}, codes.TemplateNotFound},
		{"missing variable", model.ComposeRequest{Channel: model.SMS, Compose: model.Compose{Template: "greeting"}}, codes.TemplateVariableMissing},
		{"template of the other channel", model.ComposeRequest{Channel: model.Email, Compose: model.Compose{Template: "greeting", Vars: map[string]string{"name": "Jo"}}}, codes.TemplateNotFound},
		{"rendered SMS too long", model.ComposeRequest{Channel: model.SMS, Compose: model.Compose{Template: "greeting", Vars: map[string]string{"name": long}}}, codes.MessageTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &recordingStore{}
			a := &Activities{Directories: map[string]*directory.Directory{"acme": acme(t)}, Images: store}
			tc.req.Tenant, tc.req.Conversation = "acme", conv
			_, err := a.ComposeMessage(context.Background(), tc.req)
			if !codes.Is(err, tc.want) {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || !appErr.NonRetryable() {
				t.Fatalf("%v is retryable", err)
			}
		})
	}
}

func emailRequest(c model.Compose) model.ComposeRequest {
	return model.ComposeRequest{Tenant: "acme", Conversation: conv, Channel: model.Email, Compose: c}
}

func TestComposeMessageHostsImages(t *testing.T) {
	store := &recordingStore{}
	a := &Activities{Directories: map[string]*directory.Directory{"acme": acme(t)}, Images: store}
	gif := []byte("GIF89a\x01\x00\x01\x00")
	out, err := a.ComposeMessage(context.Background(), emailRequest(model.Compose{
		HTML:   `<p onclick="x()">Our logo: <img src="logo.png"></p><script>alert(1)</script>`,
		Images: []model.Image{{Name: "logo.png", Data: testPNG}, {Name: "dot.gif", Data: gif}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	body := out.HTML
	logo := "https://img.example/" + imagestore.Key("acme", conv, testPNG, "image/png")
	dot := "https://img.example/" + imagestore.Key("acme", conv, gif, "image/gif")
	want := `<p>Our logo: <img src="` + logo + `"></p><p><img src="` + dot + `" alt="dot.gif"></p>`
	if body != want {
		t.Fatalf("body\n got %s\nwant %s", body, want)
	}
	if len(store.puts) != 2 || !strings.HasSuffix(store.puts[0], ".png image/png") || !strings.HasSuffix(store.puts[1], ".gif image/gif") {
		t.Fatalf("puts = %v", store.puts)
	}
	if out.Text != "Our logo:" {
		t.Fatalf("plain text %q", out.Text)
	}
}

// A template's body takes the images like an agent's HTML does, and keeps
// the template's subject.
func TestComposeMessageTemplateWithImage(t *testing.T) {
	a := &Activities{Directories: map[string]*directory.Directory{"acme": acme(t)}, Images: &recordingStore{}}
	out, err := a.ComposeMessage(context.Background(), emailRequest(model.Compose{
		Template: "followup", Vars: map[string]string{"name": "Ada", "ticket": "7"},
		Images: []model.Image{{Name: "chart.png", Data: testPNG}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	img := "https://img.example/" + imagestore.Key("acme", conv, testPNG, "image/png")
	want := `<p>Hello Ada,</p><p>we are following up on your request 7.</p><p><img src="` + img + `" alt="chart.png"></p>`
	if out.HTML != want || out.Subject != "Your Acme request 7" || out.Template != "followup" {
		t.Fatalf("composed %+v\nwant HTML %s", out, want)
	}
	if !strings.Contains(out.Text, "Hello Ada,") || strings.Contains(out.Text, "<") {
		t.Fatalf("plain text %q", out.Text)
	}
}

// Text with images and no HTML: the HTML part says the text too (escaped,
// its paragraphs and lines kept), then the images.
func TestComposeMessageTextWithImage(t *testing.T) {
	a := &Activities{Directories: map[string]*directory.Directory{"acme": acme(t)}, Images: &recordingStore{}}
	out, err := a.ComposeMessage(context.Background(), emailRequest(model.Compose{
		Text: "Here is <the> chart.\nAs promised.\n\nAcme", Images: []model.Image{{Name: "chart.png", Data: testPNG}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	img := "https://img.example/" + imagestore.Key("acme", conv, testPNG, "image/png")
	want := `<p>Here is &lt;the&gt; chart.<br>As promised.</p><p>Acme</p><p><img src="` + img + `" alt="chart.png"></p>`
	if out.HTML != want || out.Text != "Here is <the> chart.\nAs promised.\n\nAcme" {
		t.Fatalf("composed %+v\nwant HTML %s", out, want)
	}
}

func TestComposeMessageWithoutImages(t *testing.T) {
	a := &Activities{Directories: map[string]*directory.Directory{"acme": acme(t, "pciEmail: false", "pciEmail: true")}} // no store needed
	out, err := a.ComposeMessage(context.Background(), emailRequest(model.Compose{
		HTML: `<p>Hi</p><iframe src="https://evil.example"></iframe>`,
	}))
	if err != nil || out.HTML != "<p>Hi</p>" || out.Text != "Hi" {
		t.Fatalf("composed %+v, %v", out, err)
	}
}

func TestComposeMessageUploadFailureRetries(t *testing.T) {
	a := &Activities{Directories: map[string]*directory.Directory{"acme": acme(t)}, Images: &recordingStore{fail: errors.New("connection reset")}}
	_, err := a.ComposeMessage(context.Background(), emailRequest(model.Compose{
		Text: "see the picture", Images: []model.Image{{Name: "a.png", Data: testPNG}},
	}))
	var appErr *temporal.ApplicationError
	if err == nil || (errors.As(err, &appErr) && appErr.NonRetryable()) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
}

// fakeS3 runs the dev S3 fake until the test ends, with its "images" bucket.
func fakeS3(t *testing.T) (*fakes3.Server, *imagestore.Store) {
	t.Helper()
	fake, err := fakes3.Start(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	store, err := imagestore.New(context.Background(), fake.Config("images"))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	return fake, store
}

// TestComposeMessageOnFakeS3 runs the activity against the dev S3 fake: the
// body's <img src> serves the PNG.
func TestComposeMessageOnFakeS3(t *testing.T) {
	fake, store := fakeS3(t)
	a := &Activities{Directories: map[string]*directory.Directory{"acme": acme(t)}, Images: store}
	out, err := a.ComposeMessage(context.Background(), emailRequest(model.Compose{
		HTML: `<p><img src="logo.png"></p>`, Images: []model.Image{{Name: "logo.png", Data: testPNG}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	body := out.HTML
	url := strings.TrimSuffix(strings.TrimPrefix(body, `<p><img src="`), `"></p>`)
	if !strings.HasPrefix(url, fake.URL()+"/images/acme/") {
		t.Fatalf("body %s", body)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, testPNG) {
		t.Fatalf("GET %s = %d %s, %d bytes", url, resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
	}
}
