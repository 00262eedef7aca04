package main

import (
	"context"
	"net"
	"os"
	"strings"

	"outbound/internal/archive"
	"outbound/internal/codec"
	"outbound/internal/conversations"
	"outbound/internal/imagestore"
)

// devTemporalPort is the dev stack's default frontend port (--temporal-port).
const devTemporalPort = "7233"

// archiveReader reads a long conversation's archived transcript pages, from
// the bucket the S3_* variables name (the worker's settings). With no S3_*
// variable set and the dev server's default address, it reads the dev stack's
// S3 fake on its default port, so the walk-through needs no settings. nil:
// no archive (show then says what to set when a transcript is archived).
func archiveReader(ctx context.Context, hostPort string, keys *codec.Keys) (conversations.Archive, error) {
	cfg, ok := imagestore.ConfigFromEnv()
	if !ok {
		if s3EnvSet() || !devAddress(hostPort) {
			return nil, nil
		}
		cfg = imagestore.DevConfig()
	}
	arch, err := archive.Open(ctx, cfg, keys)
	if err != nil {
		return nil, err
	}
	return arch, nil
}

func s3EnvSet() bool {
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "S3_") {
			return true
		}
	}
	return false
}

// devAddress reports whether hostPort is the dev server's default frontend
// on this machine.
func devAddress(hostPort string) bool {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil || port != devTemporalPort {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
