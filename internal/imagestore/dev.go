package imagestore

import "fmt"

// The dev stack's S3 (internal/dev/fakes3): where `go run ./dev` serves it
// by default (--s3-port), its bucket and the only credentials it accepts.
// The starter reads archived transcripts there when it talks to the dev
// server and no S3_* variable is set. 8234 is clear of the other dev ports
// (7233, 8233, 8080, 2525, 9090) and of the usual S3 servers' 9000.
const (
	DevPort      = 8234
	DevBucket    = "outbound-images"
	DevAccessKey = "dev"
	DevSecretKey = "dev-secret"
	DevRegion    = "us-east-1"
)

// DevConfig is the Store configuration of the dev S3 on DevPort.
func DevConfig() Config {
	return Config{
		Endpoint: fmt.Sprintf("http://127.0.0.1:%d", DevPort), Region: DevRegion, Bucket: DevBucket,
		AccessKey: DevAccessKey, SecretKey: DevSecretKey, PathStyle: true,
	}
}
