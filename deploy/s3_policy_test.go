package deploy_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"outbound/internal/archive"
	"outbound/internal/images"
	"outbound/internal/imagestore"
)

// TestAnonymousReadIsImagesOnly: the bucket policy s3-setup installs lets
// anonymous clients read every image the worker hosts and no archived
// transcript page (encrypted, but not for customers either).
func TestAnonymousReadIsImagesOnly(t *testing.T) {
	script := mountedScript(t, service(t, loadProject(t), svcS3Setup))
	_, doc, ok := strings.Cut(script, "cat >/tmp/anonymous.json <<JSON\n")
	doc, _, ok2 := strings.Cut(doc, "\nJSON\n")
	if !ok || !ok2 {
		t.Fatal("the s3-setup script writes no /tmp/anonymous.json here-document")
	}
	var policy struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal([]byte(strings.ReplaceAll(doc, "$bucket", "b")), &policy); err != nil {
		t.Fatalf("anonymous policy: %v", err)
	}
	var allowed []*regexp.Regexp
	for _, st := range policy.Statement {
		if st.Effect != "Allow" {
			continue
		}
		for _, r := range st.Resource {
			// S3's wildcard (and SeaweedFS's): '*' matches any run of characters, '/' included.
			allowed = append(allowed, regexp.MustCompile("^"+strings.ReplaceAll(regexp.QuoteMeta(r), `\*`, ".*")+"$"))
		}
	}
	public := func(key string) bool {
		for _, re := range allowed {
			if re.MatchString("arn:aws:s3:::b/" + key) {
				return true
			}
		}
		return false
	}
	const conv = "conversation/acme/ep-email/0123456789abcdef/run-1"
	for _, ct := range []string{images.PNG, images.JPEG, images.GIF, images.WebP} {
		if key := imagestore.Key("acme", conv, []byte("x"), ct); !public(key) {
			t.Errorf("image %s is not publicly readable", key)
		}
	}
	for _, tenant := range []string{"acme", "transcripts"} {
		key, err := archive.Key(tenant, conv, 12)
		if err != nil {
			t.Fatal(err)
		}
		if public(key) {
			t.Errorf("archived page %s is publicly readable", key)
		}
	}
}
