package imagestore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"outbound/internal/dev/fakes3"
	"outbound/internal/imagestore"
)

var png = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), bytes.Repeat([]byte{7}, 10*1024)...)

// startStore runs the fake under a temporary directory and a imagestore.Store on it
// whose bucket exists.
func startStore(t *testing.T) (*fakes3.Server, *imagestore.Store) {
	t.Helper()
	fake, err := fakes3.Start(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := fake.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	store, err := imagestore.New(context.Background(), fake.Config("images"))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureBucket(ctx(t)); err != nil {
		t.Fatal(err)
	}
	return fake, store
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestKey(t *testing.T) {
	conv := "conversation/acme/ep-email/k3y/run-1"
	k1 := imagestore.Key("acme", conv, png, "image/png")
	want := "acme/conversation_acme_ep-email_k3y_run-1/"
	if !strings.HasPrefix(k1, want) || !strings.HasSuffix(k1, ".png") || len(k1) != len(want)+64+len(".png") {
		t.Fatalf("Key = %q, want %s<sha256>.png", k1, want)
	}
	if k2 := imagestore.Key("acme", conv, append([]byte(nil), png...), "image/png"); k2 != k1 {
		t.Fatalf("same bytes, different keys: %q %q", k1, k2)
	}
	if k3 := imagestore.Key("acme", conv, png[:100], "image/png"); k3 == k1 {
		t.Fatal("different bytes, same key")
	}
	if k := imagestore.Key("acme", conv, png, "image/jpeg"); !strings.HasSuffix(k, ".jpg") {
		t.Fatalf("jpeg key %q", k)
	}
	if k := imagestore.Key("ac/me", "..", png, "text/plain"); !strings.HasPrefix(k, "ac_me/_/") || !strings.HasSuffix(k, ".bin") {
		t.Fatalf("unsafe segments: %q", k)
	}
	if p := imagestore.Prefix("acme"); p != "acme/" || !strings.HasPrefix(k1, p) {
		t.Fatalf("Prefix = %q", p)
	}
}

func TestPutServesImage(t *testing.T) {
	fake, store := startStore(t)
	key := imagestore.Key("acme", "conversation/acme/ep-email/k/r", png, "image/png")
	url, err := store.Put(ctx(t), key, "image/png", png)
	if err != nil {
		t.Fatal(err)
	}
	if want := fake.URL() + "/images/" + key; url != want {
		t.Fatalf("url = %q, want %q", url, want)
	}
	resp, body := get(t, url)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, png) {
		t.Fatalf("GET %s = %d, %d bytes", url, resp.StatusCode, len(body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
		t.Fatalf("Content-Type = %q", ct)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("an image is served with nosniff and no CORS: %v", resp.Header)
	}

	// Again (an activity retry): same key, same URL, same bytes.
	url2, err := store.Put(ctx(t), imagestore.Key("acme", "conversation/acme/ep-email/k/r", png, "image/png"), "image/png", png)
	if err != nil || url2 != url {
		t.Fatalf("second put = %q, %v", url2, err)
	}
	if _, body := get(t, url); !bytes.Equal(body, png) {
		t.Fatal("bytes changed")
	}
	list, err := store.Client.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("images")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("list = %v, %v; want one object", list, err)
	}

	// The files live under the directory (a restart keeps them).
	found := false
	_ = filepath.Walk(fake.Dir(), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(p, filepath.FromSlash(key)) {
			found = true
		}
		return nil
	})
	if !found {
		t.Fatalf("%s not stored under %s", key, fake.Dir())
	}
}

func TestPublicAccessIsReadOnly(t *testing.T) {
	fake, store := startStore(t)
	key := imagestore.Key("acme", "c", png, "image/png")
	if _, err := store.Put(ctx(t), key, "image/png", png); err != nil {
		t.Fatal(err)
	}
	// Found: any Authorization header opened everything. Unsigned, with a
	// made-up header, or signed with other credentials: all refused.
	otherCreds := aws.Credentials{AccessKeyID: imagestore.DevAccessKey, SecretAccessKey: "guessed"}
	for _, auth := range []string{"", "AWS4-HMAC-SHA256 Credential=x", "Bearer anything", "signed with other credentials"} {
		for _, tc := range []struct{ method, path string }{
			{http.MethodGet, "/images"},           // listing
			{http.MethodGet, "/"},                 // buckets
			{http.MethodGet, "/images?lifecycle"}, // configuration
			{http.MethodPut, "/images/" + key},    // overwrite
			{http.MethodDelete, "/images/" + key}, // delete
			{http.MethodPut, "/other"},            // create bucket
		} {
			req, _ := http.NewRequest(tc.method, fake.URL()+tc.path, strings.NewReader("x"))
			switch auth {
			case "signed with other credentials":
				const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
				req.Header.Set("X-Amz-Content-Sha256", emptyHash)
				if err := v4.NewSigner().SignHTTP(ctx(t), otherCreds, req, emptyHash, "s3", imagestore.DevRegion, time.Now()); err != nil {
					t.Fatal(err)
				}
			case "":
			default:
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s with Authorization %q = %d, want 403", tc.method, tc.path, auth, resp.StatusCode)
			}
		}
	}
	if resp, body := get(t, store.URL(key)); resp.StatusCode != http.StatusOK || !bytes.Equal(body, png) {
		t.Fatalf("image changed: %d", resp.StatusCode)
	}
	if resp, _ := get(t, fake.URL()+"/images/acme/c/missing.png"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("missing image = %d, want 404", resp.StatusCode)
	}
}

func TestEnsureBucketTwice(t *testing.T) {
	_, store := startStore(t) // once
	for range 2 {
		if err := store.EnsureBucket(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEnsureLifecycle(t *testing.T) {
	_, store := startStore(t)
	c := ctx(t)
	// Someone else's rule, which must survive.
	_, err := store.Client.PutBucketLifecycleConfiguration(c, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: aws.String("images"),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID: aws.String("other"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := store.EnsureLifecycle(c, imagestore.Prefix("acme"), imagestore.RetentionDays); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.EnsureLifecycle(c, imagestore.Prefix("globex"), imagestore.RetentionDays); err != nil {
		t.Fatal(err)
	}
	// A changed retention replaces the rule, not adds one.
	if err := store.EnsureLifecycle(c, imagestore.Prefix("globex"), 30); err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureLifecycle(c, imagestore.Prefix("globex"), imagestore.RetentionDays); err != nil {
		t.Fatal(err)
	}
	out, err := store.Client.GetBucketLifecycleConfiguration(c, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("images")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range out.Rules {
		if r.Filter == nil || r.Expiration == nil {
			t.Fatalf("rule %s without filter or expiration", aws.ToString(r.ID))
		}
		got[aws.ToString(r.ID)] = fmt.Sprintf("%s %s %d", aws.ToString(r.Filter.Prefix), r.Status, aws.ToInt32(r.Expiration.Days))
	}
	want := map[string]string{
		"other":                               "tmp/ Enabled 1",
		imagestore.LifecycleRuleID("acme/"):   "acme/ Enabled 183",
		imagestore.LifecycleRuleID("globex/"): "globex/ Enabled 183",
	}
	if len(got) != len(want) || len(out.Rules) != len(want) {
		t.Fatalf("rules = %v, want %v", got, want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("rule %s = %q, want %q", id, got[id], w)
		}
	}
}

func TestEnsureLifecycleMissingBucket(t *testing.T) {
	fake, _ := startStore(t)
	cfg := fake.Config("nope")
	store, err := imagestore.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureLifecycle(ctx(t), "acme/", imagestore.RetentionDays); err == nil {
		t.Fatal("lifecycle on a missing bucket succeeded")
	}
}

func TestLifecycleOptional(t *testing.T) {
	// A server without lifecycle support answers 501 NotImplemented.
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotImplemented)
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code></Error>`)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	cfg := imagestore.Config{Endpoint: "http://" + ln.Addr().String(), Bucket: "images", AccessKey: "a", SecretKey: "b", PathStyle: true}
	strict, err := imagestore.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := strict.EnsureLifecycle(ctx(t), "acme/", imagestore.RetentionDays); err == nil {
		t.Fatal("NotImplemented accepted without LifecycleOptional")
	}
	cfg.LifecycleOptional = true
	lenient, err := imagestore.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := lenient.EnsureLifecycle(ctx(t), "acme/", imagestore.RetentionDays); err != nil {
		t.Fatalf("LifecycleOptional: %v", err)
	}
}

func TestNewConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  imagestore.Config
		base string
		bad  bool
	}{
		{"path style", imagestore.Config{Endpoint: "http://127.0.0.1:9000/", Bucket: "b", AccessKey: "a", SecretKey: "s", PathStyle: true}, "http://127.0.0.1:9000/b", false},
		{"virtual host", imagestore.Config{Endpoint: "https://s3.example", Bucket: "b", AccessKey: "a", SecretKey: "s"}, "https://b.s3.example", false},
		{"aws", imagestore.Config{Bucket: "b", Region: "eu-west-1", AccessKey: "a", SecretKey: "s"}, "https://b.s3.eu-west-1.amazonaws.com", false},
		{"public base", imagestore.Config{Bucket: "b", AccessKey: "a", SecretKey: "s", PublicBaseURL: "https://img.acme.example/"}, "https://img.acme.example", false},
		{"no bucket", imagestore.Config{AccessKey: "a", SecretKey: "s"}, "", true},
		{"half credentials", imagestore.Config{Bucket: "b", AccessKey: "a"}, "", true},
		{"bad endpoint", imagestore.Config{Bucket: "b", Endpoint: "127.0.0.1:9000", AccessKey: "a", SecretKey: "s"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := imagestore.New(context.Background(), tc.cfg)
			if tc.bad {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.PublicBaseURL != tc.base {
				t.Fatalf("PublicBaseURL = %q, want %q", s.PublicBaseURL, tc.base)
			}
			if u := s.URL("acme/c/x.png"); u != tc.base+"/acme/c/x.png" {
				t.Fatalf("URL = %q", u)
			}
		})
	}
}
