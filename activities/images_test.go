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

func TestPrepareEmailBodyRefusals(t *testing.T) {
	big := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 16*1024)...)
	for _, tc := range []struct {
		name  string
		edits []string
		req   model.EmailBodyRequest
		want  codes.Code
	}{
		{"pci tenant", []string{"pciEmail: false", "pciEmail: true"},
			model.EmailBodyRequest{HTML: "<p>x</p>", Images: []model.Image{{Name: "a.png", Data: testPNG}}}, codes.InlineImagesDisabled},
		{"exempt tenant", []string{"inlineImagesExempt: false", "inlineImagesExempt: true"},
			model.EmailBodyRequest{HTML: "<p>x</p>", Images: []model.Image{{Name: "a.png", Data: testPNG}}}, codes.InlineImagesDisabled},
		{"16 KB", nil, model.EmailBodyRequest{HTML: "<p>x</p>", Images: []model.Image{{Name: "big.png", Data: big}}}, codes.ImageTooLarge},
		{"text renamed .png", nil, model.EmailBodyRequest{HTML: "<p>x</p>", Images: []model.Image{{Name: "a.png", Data: []byte("just text")}}}, codes.UnsupportedImageType},
		{"cid", nil, model.EmailBodyRequest{HTML: `<img src="cid:logo">`}, codes.CIDNotSupported},
		{"cid with images", nil, model.EmailBodyRequest{HTML: `<img src="CID:logo">`, Images: []model.Image{{Name: "a.png", Data: testPNG}}}, codes.CIDNotSupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &recordingStore{}
			a := &Activities{Directories: map[string]*directory.Directory{"acme": acme(t, tc.edits...)}, Images: store}
			tc.req.Tenant, tc.req.Conversation = "acme", conv
			_, err := a.PrepareEmailBody(context.Background(), tc.req)
			if !codes.Is(err, tc.want) {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || !appErr.NonRetryable() {
				t.Fatalf("%v is retryable", err)
			}
			if len(store.puts) != 0 {
				t.Fatalf("uploaded %v before refusing", store.puts)
			}
		})
	}
}

func TestPrepareEmailBody(t *testing.T) {
	store := &recordingStore{}
	a := &Activities{Directories: map[string]*directory.Directory{"acme": acme(t)}, Images: store}
	gif := []byte("GIF89a\x01\x00\x01\x00")
	body, err := a.PrepareEmailBody(context.Background(), model.EmailBodyRequest{
		Tenant: "acme", Conversation: conv,
		HTML:   `<p onclick="x()">Our logo: <img src="logo.png"></p><script>alert(1)</script>`,
		Images: []model.Image{{Name: "logo.png", Data: testPNG}, {Name: "dot.gif", Data: gif}},
	})
	if err != nil {
		t.Fatal(err)
	}
	logo := "https://img.example/" + imagestore.Key("acme", conv, testPNG, "image/png")
	dot := "https://img.example/" + imagestore.Key("acme", conv, gif, "image/gif")
	want := `<p>Our logo: <img src="` + logo + `"></p><p><img src="` + dot + `" alt="dot.gif"></p>`
	if body != want {
		t.Fatalf("body\n got %s\nwant %s", body, want)
	}
	if len(store.puts) != 2 || !strings.HasSuffix(store.puts[0], ".png image/png") || !strings.HasSuffix(store.puts[1], ".gif image/gif") {
		t.Fatalf("puts = %v", store.puts)
	}
}

func TestPrepareEmailBodyWithoutImages(t *testing.T) {
	a := &Activities{Directories: map[string]*directory.Directory{"acme": acme(t, "pciEmail: false", "pciEmail: true")}} // no store needed
	body, err := a.PrepareEmailBody(context.Background(), model.EmailBodyRequest{
		Tenant: "acme", Conversation: conv, HTML: `<p>Hi</p><iframe src="https://evil.example"></iframe>`,
	})
	if err != nil || body != "<p>Hi</p>" {
		t.Fatalf("body = %q, %v", body, err)
	}
}

func TestPrepareEmailBodyUploadFailureRetries(t *testing.T) {
	a := &Activities{Directories: map[string]*directory.Directory{"acme": acme(t)}, Images: &recordingStore{fail: errors.New("connection reset")}}
	_, err := a.PrepareEmailBody(context.Background(), model.EmailBodyRequest{
		Tenant: "acme", Conversation: conv, Images: []model.Image{{Name: "a.png", Data: testPNG}},
	})
	var appErr *temporal.ApplicationError
	if err == nil || (errors.As(err, &appErr) && appErr.NonRetryable()) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
}

// fakeS3 runs the dev S3 fake until the test ends, with its "images" bucket.
func fakeS3(t *testing.T) (*imagestore.FakeS3, *imagestore.Store) {
	t.Helper()
	fake, err := imagestore.StartFake(t.TempDir(), "")
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

// TestPrepareEmailBodyOnFakeS3 runs the activity against the dev S3 fake: the
// body's <img src> serves the PNG.
func TestPrepareEmailBodyOnFakeS3(t *testing.T) {
	fake, store := fakeS3(t)
	a := &Activities{Directories: map[string]*directory.Directory{"acme": acme(t)}, Images: store}
	body, err := a.PrepareEmailBody(context.Background(), model.EmailBodyRequest{
		Tenant: "acme", Conversation: conv, HTML: `<p><img src="logo.png"></p>`,
		Images: []model.Image{{Name: "logo.png", Data: testPNG}},
	})
	if err != nil {
		t.Fatal(err)
	}
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
