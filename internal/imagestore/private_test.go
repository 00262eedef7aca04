package imagestore_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"outbound/internal/imagestore"
)

// TestPrivateObjects: objects under imagestore.PrivatePrefix are readable with the
// store's credentials only; the fake refuses anonymous reads however the key
// is spelled, while images stay public.
func TestPrivateObjects(t *testing.T) {
	fake, store := startStore(t)
	key := imagestore.PrivatePrefix + "acme/0123/000001"
	secret := []byte("not for customers")
	if err := store.PutPrivate(ctx(t), key, "application/octet-stream", secret); err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(ctx(t), key)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("signed Get = %q, %v", got, err)
	}
	for _, p := range []string{
		key, "./" + key, "acme/../" + key, "/" + key, "TRANSCRIPTS/acme/0123/000001",
		"transcripts%2Facme%2F0123%2F000001", `transcripts\acme\0123\000001`, "transcripts",
	} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			req, _ := http.NewRequest(method, fake.URL()+"/images/"+p, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("unsigned %s /images/%s = %d, want 403", method, p, resp.StatusCode)
			}
		}
	}

	img := imagestore.Key("acme", "c", png, "image/png")
	if _, err := store.Put(ctx(t), img, "image/png", png); err != nil {
		t.Fatal(err)
	}
	if resp, body := get(t, store.URL(img)); resp.StatusCode != http.StatusOK || !bytes.Equal(body, png) {
		t.Fatalf("image = %d", resp.StatusCode)
	}
}

func TestPutPrivateRefusesPublicKeys(t *testing.T) {
	_, store := startStore(t)
	err := store.PutPrivate(ctx(t), "acme/c/x.png", "application/octet-stream", []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "not under "+imagestore.PrivatePrefix) {
		t.Fatalf("err = %v", err)
	}
}

func TestGetMissing(t *testing.T) {
	_, store := startStore(t)
	if _, err := store.Get(ctx(t), imagestore.PrivatePrefix+"missing"); !errors.Is(err, imagestore.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	for _, name := range []string{"S3_ENDPOINT", "S3_REGION", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_PUBLIC_URL", "S3_PATH_STYLE"} {
		t.Setenv(name, "")
	}
	t.Setenv("S3_BUCKET", "")
	if _, ok := imagestore.ConfigFromEnv(); ok {
		t.Fatal("a configuration without S3_BUCKET")
	}
	t.Setenv("S3_BUCKET", "b")
	t.Setenv("S3_ENDPOINT", "http://s3:8333")
	t.Setenv("S3_PATH_STYLE", "true")
	c, ok := imagestore.ConfigFromEnv()
	if !ok || c.Bucket != "b" || c.Endpoint != "http://s3:8333" || !c.PathStyle {
		t.Fatalf("ConfigFromEnv = %+v, %v", c, ok)
	}
}
