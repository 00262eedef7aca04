// Package imagestore hosts inline email images on S3 (docs/rules.md rule 12): each
// image is stored once under a content-addressed key
// (tenant/conversation/sha256.ext) with its Content-Type, and referenced from
// the HTML body by its public URL; a bucket lifecycle rule expires a tenant's
// images after RetentionDays (6 months).
//
// fake.go runs an in-process S3-compatible server (gofakes3, file backend)
// that the dev stack and the tests use.
package imagestore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"outbound/internal/images"
)

// RetentionDays is how long a hosted image stays: 6 months (rule 12).
const RetentionDays = 183

// CacheControl is sent with every image: a key names its bytes, so the object
// never changes.
const CacheControl = "public, max-age=15811200, immutable"

// Config says where images go.
type Config struct {
	// Endpoint is the S3 API base URL of an S3-compatible server (the dev fake,
	// SeaweedFS); empty for AWS S3.
	Endpoint string
	// Region defaults to us-east-1.
	Region string
	Bucket string
	// AccessKey and SecretKey are static credentials; when both are empty the
	// SDK's default chain is used (environment, shared config, IAM role).
	AccessKey, SecretKey string
	// PublicBaseURL is the URL customers fetch images from, without the key
	// (a CDN, or the bucket's public URL). Default: Endpoint/Bucket with path
	// style, the bucket's virtual-host URL otherwise.
	PublicBaseURL string
	// PathStyle addresses the bucket as Endpoint/Bucket (S3-compatible
	// servers) instead of Bucket.host.
	PathStyle bool
	// LifecycleOptional makes EnsureLifecycle succeed when the server answers
	// that bucket lifecycle configuration is not implemented (some
	// S3-compatible servers). The dev fake implements it.
	LifecycleOptional bool
}

// Store puts images in one bucket.
type Store struct {
	Client        *s3.Client
	Bucket        string
	PublicBaseURL string // without a trailing slash
	// Region is used to create the bucket (LocationConstraint) outside us-east-1.
	Region string
	// LifecycleOptional: see Config.
	LifecycleOptional bool
}

// New builds a Store. It makes no network call.
func New(ctx context.Context, c Config) (*Store, error) {
	if c.Bucket == "" {
		return nil, errors.New("imagestore: a bucket is required")
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		return nil, errors.New("imagestore: give both the access key and the secret key, or neither")
	}
	var endpoint *url.URL
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("imagestore: endpoint %q is not an http(s) URL", c.Endpoint)
		}
		endpoint = u
	}
	var cfg aws.Config
	if c.AccessKey != "" {
		cfg = aws.Config{
			Region:      c.Region,
			Credentials: credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, ""),
		}
	} else {
		var err error
		cfg, err = config.LoadDefaultConfig(ctx, config.WithRegion(c.Region))
		if err != nil {
			return nil, fmt.Errorf("imagestore: load the AWS configuration: %w", err)
		}
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != nil {
			o.BaseEndpoint = aws.String(strings.TrimRight(c.Endpoint, "/"))
		}
		o.UsePathStyle = c.PathStyle
		// Checksums only where the API requires them (lifecycle): S3-compatible
		// servers do not all understand the SDK's default trailing checksums.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	public := strings.TrimRight(c.PublicBaseURL, "/")
	if public == "" {
		switch {
		case endpoint != nil && c.PathStyle:
			public = strings.TrimRight(c.Endpoint, "/") + "/" + c.Bucket
		case endpoint != nil:
			public = endpoint.Scheme + "://" + c.Bucket + "." + endpoint.Host
		default:
			public = "https://" + c.Bucket + ".s3." + c.Region + ".amazonaws.com"
		}
	}
	return &Store{Client: client, Bucket: c.Bucket, PublicBaseURL: public, Region: c.Region, LifecycleOptional: c.LifecycleOptional}, nil
}

// ConfigFromEnv reads S3_BUCKET, S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY,
// S3_SECRET_KEY, S3_PUBLIC_URL and S3_PATH_STYLE ("true"); ok is false when
// S3_BUCKET is unset (no bucket configured).
func ConfigFromEnv() (c Config, ok bool) {
	if os.Getenv("S3_BUCKET") == "" {
		return Config{}, false
	}
	return Config{
		Endpoint: os.Getenv("S3_ENDPOINT"), Region: os.Getenv("S3_REGION"), Bucket: os.Getenv("S3_BUCKET"),
		AccessKey: os.Getenv("S3_ACCESS_KEY"), SecretKey: os.Getenv("S3_SECRET_KEY"),
		PublicBaseURL: os.Getenv("S3_PUBLIC_URL"), PathStyle: os.Getenv("S3_PATH_STYLE") == "true",
	}, true
}

// Prefix is the key prefix of a tenant's images ("acme/"): what the lifecycle
// rule expires.
func Prefix(tenant string) string { return Segment(tenant) + "/" }

// Key is the content-addressed key of an image:
// tenant/conversation/sha256hex.ext, where the conversation id's "/" (and any
// character outside [A-Za-z0-9._-]) become "_". Same bytes in the same
// conversation, same key.
func Key(tenant, conversation string, data []byte, contentType string) string {
	sum := sha256.Sum256(data)
	ext := images.Extension(contentType)
	if ext == "" {
		ext = "bin"
	}
	return Prefix(tenant) + Segment(conversation) + "/" + hex.EncodeToString(sum[:]) + "." + ext
}

// Segment makes s one safe key segment: characters outside [A-Za-z0-9._-]
// become "_", and "", "." and ".." become "_".
func Segment(s string) string {
	if s == "" {
		return "_"
	}
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if s := string(b); s != "." && s != ".." {
		return s
	}
	return "_"
}

// URL is the public URL of a key.
func (s *Store) URL(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return s.PublicBaseURL + "/" + strings.Join(parts, "/")
}

// Put stores an image under key with its Content-Type and returns its public
// URL. A key names its bytes, so putting it again (an activity retry) stores
// the same object: idempotent by construction.
func (s *Store) Put(ctx context.Context, key, contentType string, data []byte) (string, error) {
	if err := s.put(ctx, key, contentType, CacheControl, data); err != nil {
		return "", fmt.Errorf("store image %s in bucket %s: %w", key, s.Bucket, err)
	}
	return s.URL(key), nil
}

func (s *Store) put(ctx context.Context, key, contentType, cacheControl string, data []byte) error {
	_, err := s.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String(contentType),
		CacheControl:  aws.String(cacheControl),
	})
	return err
}

// PrivatePrefix holds the objects that must never be served publicly (the
// encrypted transcript archive, internal/archive): the dev fake refuses
// anonymous reads under it, and the compose stack's bucket policy
// (deploy/s3/setup-bucket.sh) lets anonymous clients read image files only.
const PrivatePrefix = "transcripts/"

// maxObjectBytes bounds what Get reads into memory.
const maxObjectBytes = 64 << 20

// PutPrivate stores an object under PrivatePrefix (any other key is refused,
// so a private object cannot land where images are public), with no public
// cache header. Putting the same key again replaces the object.
func (s *Store) PutPrivate(ctx context.Context, key, contentType string, data []byte) error {
	if !strings.HasPrefix(key, PrivatePrefix) {
		return fmt.Errorf("imagestore: private key %q is not under %s", key, PrivatePrefix)
	}
	if err := s.put(ctx, key, contentType, "private, no-store", data); err != nil {
		return fmt.Errorf("store %s in bucket %s: %w", key, s.Bucket, err)
	}
	return nil
}

// ErrNotFound is what Get answers for a missing object.
var ErrNotFound = errors.New("no such object")

// Get reads an object with the store's credentials.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		if isCode(err, "NoSuchKey", "NotFound") {
			return nil, fmt.Errorf("read %s from bucket %s: %w", key, s.Bucket, ErrNotFound)
		}
		return nil, fmt.Errorf("read %s from bucket %s: %w", key, s.Bucket, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, maxObjectBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s from bucket %s: %w", key, s.Bucket, err)
	}
	if len(data) > maxObjectBytes {
		return nil, fmt.Errorf("read %s from bucket %s: larger than %d bytes", key, s.Bucket, maxObjectBytes)
	}
	return data, nil
}

// EnsureBucket creates the bucket if it does not exist.
func (s *Store) EnsureBucket(ctx context.Context) error {
	_, err := s.Client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.Bucket)})
	if err == nil {
		return nil
	}
	if !isCode(err, "NotFound", "NoSuchBucket") {
		return fmt.Errorf("check bucket %s: %w", s.Bucket, err)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(s.Bucket)}
	if s.Region != "" && s.Region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(s.Region),
		}
	}
	if _, err := s.Client.CreateBucket(ctx, in); err != nil && !isCode(err, "BucketAlreadyOwnedByYou", "BucketAlreadyExists") {
		return fmt.Errorf("create bucket %s: %w", s.Bucket, err)
	}
	return nil
}

// LifecycleRuleID is the ID of the rule EnsureLifecycle keeps for a prefix.
func LifecycleRuleID(prefix string) string {
	id := "outbound-inline-images:" + prefix
	if len(id) > 255 { // the S3 limit
		sum := sha256.Sum256([]byte(prefix))
		id = "outbound-inline-images:" + hex.EncodeToString(sum[:])
	}
	return id
}

// EnsureLifecycle makes the bucket expire objects under prefix after days
// days. It reads the current configuration and adds or replaces only its own
// rule (LifecycleRuleID), keeping every other rule; when the rule is already
// as wanted it writes nothing. Safe to run at every worker start (concurrent
// starts may each write the same configuration).
func (s *Store) EnsureLifecycle(ctx context.Context, prefix string, days int) error {
	if days <= 0 {
		return fmt.Errorf("lifecycle for %q: days must be positive, not %d", prefix, days)
	}
	var rules []types.LifecycleRule
	out, err := s.Client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(s.Bucket)})
	switch {
	case err == nil:
		rules = out.Rules
	case isCode(err, "NoSuchLifecycleConfiguration"):
	case s.LifecycleOptional && notImplemented(err):
		return nil
	default:
		return fmt.Errorf("read the lifecycle configuration of bucket %s: %w", s.Bucket, err)
	}

	id := LifecycleRuleID(prefix)
	want := types.LifecycleRule{
		ID:         aws.String(id),
		Status:     types.ExpirationStatusEnabled,
		Filter:     &types.LifecycleRuleFilter{Prefix: aws.String(prefix)},
		Expiration: &types.LifecycleExpiration{Days: aws.Int32(int32(days))},
	}
	found := false
	for i, r := range rules {
		if aws.ToString(r.ID) != id {
			continue
		}
		if found { // a duplicate of our rule: drop it
			rules = append(rules[:i:i], rules[i+1:]...)
			continue
		}
		found = true
		if sameRule(r, want) {
			return nil
		}
		rules[i] = want
	}
	if !found {
		rules = append(rules, want)
	}
	_, err = s.Client.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket:                 aws.String(s.Bucket),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules},
	})
	if err != nil {
		if s.LifecycleOptional && notImplemented(err) {
			return nil
		}
		return fmt.Errorf("write the lifecycle configuration of bucket %s: %w", s.Bucket, err)
	}
	return nil
}

// sameRule reports whether an existing rule already does what want does.
func sameRule(r, want types.LifecycleRule) bool {
	//lint:ignore SA1019 a rule with the deprecated top-level Prefix is not ours and must not count as ours
	return r.Status == want.Status && r.Prefix == nil &&
		r.Filter != nil && r.Filter.And == nil && r.Filter.Tag == nil &&
		r.Filter.ObjectSizeGreaterThan == nil && r.Filter.ObjectSizeLessThan == nil &&
		aws.ToString(r.Filter.Prefix) == aws.ToString(want.Filter.Prefix) &&
		r.Expiration != nil && r.Expiration.Date == nil &&
		aws.ToInt32(r.Expiration.Days) == aws.ToInt32(want.Expiration.Days) &&
		r.Transitions == nil && r.NoncurrentVersionExpiration == nil &&
		r.NoncurrentVersionTransitions == nil && r.AbortIncompleteMultipartUpload == nil
}

func isCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.ErrorCode() == c {
			return true
		}
	}
	return false
}

func notImplemented(err error) bool {
	return isCode(err, "NotImplemented", "MethodNotAllowed", "XNotImplemented")
}
