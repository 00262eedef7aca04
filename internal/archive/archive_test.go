package archive

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"

	"outbound/internal/codec"
	"outbound/internal/dev/fakes3"
	"outbound/internal/imagestore"
	"outbound/internal/model"
)

const conv = "conversation/acme/ep-sms/0123456789abcdef0123456789abcdef/run-1"

// bucket runs the in-process fake S3 and a store on it whose bucket exists.
func bucket(t *testing.T) (*fakes3.Server, *imagestore.Store) {
	t.Helper()
	fake, err := fakes3.Start(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	store, err := imagestore.New(context.Background(), fake.Config("outbound-images"))
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

func keys(t *testing.T, spec ...string) *codec.Keys {
	t.Helper()
	k, err := codec.ParseKeys(strings.Join(spec, ","))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newKey(t *testing.T, id string) string {
	t.Helper()
	b := make([]byte, codec.KeySize)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(b)
}

func archive(t *testing.T, objects *imagestore.Store, k *codec.Keys) *Store {
	t.Helper()
	s, err := New(objects, k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func messages(n int, text string) []model.Message {
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	out := make([]model.Message, n)
	for i := range out {
		out[i] = model.Message{ID: fmt.Sprintf("m%d", i+1), Direction: model.Outbound, Agent: "alice",
			Text: fmt.Sprintf("%s %d", text, i+1), Status: model.MessageDelivered, At: at.Add(time.Duration(i) * time.Minute)}
	}
	return out
}

func TestKey(t *testing.T) {
	k, err := Key("acme", conv, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k, imagestore.PrivatePrefix+"acme/") || !strings.HasSuffix(k, "/000007") || len(k) != len("transcripts/acme/")+32+len("/000007") {
		t.Fatalf("Key = %q, want transcripts/acme/<32 hex>/000007", k)
	}
	for _, part := range strings.Split(conv, "/")[2:] {
		if strings.Contains(k, part) {
			t.Errorf("key %q holds %q from the conversation id", k, part)
		}
	}
	if again, _ := Key("acme", conv, 7); again != k {
		t.Fatalf("not deterministic: %q %q", k, again)
	}
	if other, _ := Key("acme", conv+"x", 7); other == k {
		t.Fatal("two conversations, one key")
	}
	if k, _ := Key("../a/b", conv, 0); !strings.HasPrefix(k, "transcripts/.._a_b/") {
		t.Fatalf("unsafe tenant: %q", k)
	}
	for _, tc := range []struct {
		tenant, conv string
		page         int
	}{{"", conv, 0}, {"acme", "", 0}, {"acme", conv, -1}, {"acme", conv, MaxPage + 1}} {
		if _, err := Key(tc.tenant, tc.conv, tc.page); !errors.Is(err, ErrInvalid) {
			t.Errorf("Key(%q, %q, %d) err = %v, want ErrInvalid", tc.tenant, tc.conv, tc.page, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	fake, objects := bucket(t)
	a := archive(t, objects, keys(t, newKey(t, "k1")))
	var pages []model.ArchivePage
	var want []model.Message
	for page, n := range []int{3, 1, 250} {
		msgs := messages(n, fmt.Sprintf("page %d, parcel for +14155550199 at ada@example.com", page))
		p, err := a.Save(ctx(t), model.ArchiveRequest{Tenant: "acme", Conversation: conv, Page: page, Messages: msgs})
		if err != nil {
			t.Fatal(err)
		}
		if p.Messages != n {
			t.Fatalf("page %d: Messages = %d, want %d", page, p.Messages, n)
		}
		pages, want = append(pages, p), append(want, msgs...)
	}
	var got []model.Message
	for _, p := range pages {
		msgs, err := a.Load(ctx(t), p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, msgs...)
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages back, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("message %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// Neither the stored objects nor the files under the fake's directory
	// hold any of the plaintext.
	secrets := []string{"parcel", "14155550199", "ada@example.com", "alice", "json/plain", "0123456789abcdef"}
	for _, p := range pages {
		body, err := objects.Get(ctx(t), p.Key)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(body, []byte(s)) {
				t.Errorf("object %s holds %q in plaintext", p.Key, s)
			}
		}
	}
	err := filepath.Walk(fake.Dir(), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		for _, s := range secrets[:3] {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds %q in plaintext", path, s)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// Customers fetch images from this bucket without credentials; pages stay private.
	resp, err := http.Get(objects.URL(pages[0].Key))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned GET of a page = %d, want 403", resp.StatusCode)
	}
}

func TestRetryOverwrites(t *testing.T) {
	_, objects := bucket(t)
	a := archive(t, objects, keys(t, newKey(t, "k1")))
	req := model.ArchiveRequest{Tenant: "acme", Conversation: conv, Page: 0, Messages: messages(5, "hello")}
	first, err := a.Save(ctx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.Save(ctx(t), req) // an activity retry
	if err != nil || second != first {
		t.Fatalf("retry = %+v, %v; want %+v", second, err, first)
	}
	list, err := objects.Client.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(objects.Bucket)})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("list = %v, %v; want one object", list, err)
	}
	got, err := a.Load(ctx(t), second)
	if err != nil || len(got) != 5 || got[4].Text != "hello 5" {
		t.Fatalf("Load = %v, %v", got, err)
	}
}

func TestKeys(t *testing.T) {
	_, objects := bucket(t)
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	old := archive(t, objects, keys(t, k1))
	page, err := old.Save(ctx(t), model.ArchiveRequest{Tenant: "acme", Conversation: conv, Messages: messages(2, "hi")})
	if err != nil {
		t.Fatal(err)
	}

	// Rotation: k2 encrypts now, k1 still decrypts what it wrote.
	if _, err := archive(t, objects, keys(t, k2, k1)).Load(ctx(t), page); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	// k1 dropped: the error names the missing key id.
	_, err = archive(t, objects, keys(t, k2)).Load(ctx(t), page)
	if err == nil || !strings.Contains(err.Error(), `unknown key id "k1"`) {
		t.Fatalf("without k1: err = %v", err)
	}
	// Same id, other key material.
	_, err = archive(t, objects, keys(t, newKey(t, "k1"))).Load(ctx(t), page)
	if err == nil || !strings.Contains(err.Error(), "does not decrypt") {
		t.Fatalf("wrong k1: err = %v", err)
	}
}

func TestLoadRefuses(t *testing.T) {
	_, objects := bucket(t)
	a := archive(t, objects, keys(t, newKey(t, "k1")))
	p0, err := a.Save(ctx(t), model.ArchiveRequest{Tenant: "acme", Conversation: conv, Page: 0, Messages: messages(2, "zero")})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := a.Save(ctx(t), model.ArchiveRequest{Tenant: "acme", Conversation: conv, Page: 1, Messages: messages(2, "one")})
	if err != nil {
		t.Fatal(err)
	}
	body, err := objects.Get(ctx(t), p0.Key)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := proto.Marshal(&commonpb.Payload{
		Metadata: map[string][]byte{"encoding": []byte("json/plain"), metadataKey: []byte(p1.Key)},
		Data:     []byte(`[{"id":"m1"}]`),
	})
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, data []byte) {
		t.Helper()
		if err := objects.PutPrivate(ctx(t), key, "application/octet-stream", data); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		prep func()
		page model.ArchivePage
		want string
	}{
		{"missing", func() {}, model.ArchivePage{Key: imagestore.PrivatePrefix + "acme/none/000000", Messages: 1}, "no such object"},
		{"count", func() {}, model.ArchivePage{Key: p0.Key, Messages: 3}, "holds 2 messages, the conversation expects 3"},
		{"moved", func() { put(p1.Key, body) }, p1, "holds what was written for " + p0.Key},
		{"plaintext", func() { put(p1.Key, plain) }, model.ArchivePage{Key: p1.Key, Messages: 1}, "is not encrypted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.prep()
			_, err := a.Load(ctx(t), tc.page)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSaveRefuses(t *testing.T) {
	_, objects := bucket(t)
	a := archive(t, objects, codec.DevKeys())
	for _, req := range []model.ArchiveRequest{
		{Tenant: "acme", Conversation: conv},
		{Conversation: conv, Messages: messages(1, "x")},
		{Tenant: "acme", Conversation: conv, Page: -1, Messages: messages(1, "x")},
	} {
		if _, err := a.Save(ctx(t), req); !errors.Is(err, ErrInvalid) {
			t.Errorf("Save(%+v) err = %v, want ErrInvalid", req, err)
		}
	}
}

// A long message's body goes in whole and comes back whole, under a key that
// names neither the customer nor the message; one moved to another key fails.
func TestBodyRoundTrip(t *testing.T) {
	_, objects := bucket(t)
	a := archive(t, objects, keys(t, newKey(t, "k1")))
	body := model.MessageBody{Text: strings.Repeat("Ünïcode text. ", 150000), HTML: "<p>hi</p>"}
	key, err := a.SaveBody(ctx(t), "acme", "ep-email/jane@example.com/<m1@example.com>", body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(key, "jane") || strings.Contains(key, "m1") || !strings.HasPrefix(key, imagestore.PrivatePrefix+"acme/bodies/") {
		t.Fatalf("key %q", key)
	}
	got, err := a.LoadBody(ctx(t), key)
	if err != nil || got != body {
		t.Fatalf("body back: %d bytes, %v", len(got.Text), err)
	}
	other, _ := BodyKey("acme", "another message")
	stored, err := objects.Get(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := objects.PutPrivate(ctx(t), other, "application/octet-stream", stored); err != nil {
		t.Fatal(err)
	}
	if _, err := a.LoadBody(ctx(t), other); err == nil || !strings.Contains(err.Error(), "holds what was written for "+key) {
		t.Fatalf("a moved body: %v", err)
	}
}
