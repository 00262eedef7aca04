package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"outbound/internal/codec"
)

// clearS3Env unsets every S3_* variable for the test.
func clearS3Env(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "S3_") {
			t.Setenv(name, "") // restores it after the test
			os.Unsetenv(name)
		}
	}
}

func TestArchiveReader(t *testing.T) {
	ctx := context.Background()
	clearS3Env(t)
	for _, tc := range []struct {
		address string
		want    bool
	}{
		{defaultAddress, true}, {"localhost:7233", true}, {"[::1]:7233", true},
		{"127.0.0.1:7234", false}, {"temporal.example.com:7233", false}, {"acme.tmprl.cloud:7233", false},
	} {
		r, err := archiveReader(ctx, tc.address, codec.DevKeys())
		if err != nil || (r != nil) != tc.want {
			t.Errorf("no S3_*, %s: reader %v, %v; want a reader: %v", tc.address, r, err, tc.want)
		}
	}

	// Some S3_* setting but no bucket: no dev default, no reader.
	t.Setenv("S3_ENDPOINT", "http://s3:8333")
	if r, err := archiveReader(ctx, defaultAddress, codec.DevKeys()); r != nil || err != nil {
		t.Errorf("S3_ENDPOINT only: reader %v, %v; want none", r, err)
	}
	// The worker's settings.
	t.Setenv("S3_BUCKET", "outbound-images")
	t.Setenv("S3_ACCESS_KEY", "a")
	t.Setenv("S3_SECRET_KEY", "s")
	if r, err := archiveReader(ctx, "temporal.example.com:7233", codec.DevKeys()); r == nil || err != nil {
		t.Errorf("S3_BUCKET set: reader %v, %v; want one", r, err)
	}
	// A broken setting fails the command instead of showing less.
	t.Setenv("S3_ENDPOINT", "s3:8333")
	if _, err := archiveReader(ctx, defaultAddress, codec.DevKeys()); err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
		t.Errorf("bad S3_ENDPOINT: err = %v", err)
	}
}
