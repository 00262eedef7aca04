// Package archive is the transcript archive: a long conversation moves its
// older messages out of the workflow state at continue-as-new (the state
// would otherwise outgrow Temporal's 2 MiB payload limit), one page per
// object in the image bucket, and `show` reads them back.
//
// A page is the JSON of its messages wrapped in a Temporal payload, encrypted
// with the payload codec (internal/codec: the worker's keys, rotation
// included) and stored proto-marshalled under imagestore.PrivatePrefix, which
// is never served publicly. Keys hold a tenant segment and a hash of the
// conversation id, nothing about the customer.
package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"outbound/internal/codec"
	"outbound/internal/imagestore"
	"outbound/internal/model"
)

// MaxPage is the last page number a key can hold (six digits).
const MaxPage = 999999

// ErrInvalid marks a request that can never be stored (retrying won't help).
var ErrInvalid = errors.New("invalid archive request")

// metadataKey, inside the encrypted payload, names the key the page was
// written for: an object copied to another key (another page, another
// conversation) fails to load instead of showing the wrong messages.
const metadataKey = "archive-key"

// Store keeps transcript pages in a bucket.
type Store struct {
	objects *imagestore.Store
	codec   *codec.Codec
}

// New builds the archive on a bucket and the payload keys.
func New(objects *imagestore.Store, keys *codec.Keys) (*Store, error) {
	if objects == nil {
		return nil, errors.New("archive: no bucket")
	}
	c, err := codec.New(keys)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return &Store{objects: objects, codec: c}, nil
}

// Open connects to the bucket cfg names: for readers that need no image store.
func Open(ctx context.Context, cfg imagestore.Config, keys *codec.Keys) (*Store, error) {
	objects, err := imagestore.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return New(objects, keys)
}

// Key is where a page is stored:
// transcripts/<tenant>/<first 32 hex of sha256(conversation id)>/<page, 6 digits>.
// The same request always gives the same key, so a retried Save overwrites
// its own page.
func Key(tenant, conversation string, page int) (string, error) {
	if tenant == "" || conversation == "" {
		return "", fmt.Errorf("%w: tenant and conversation are required", ErrInvalid)
	}
	if page < 0 || page > MaxPage {
		return "", fmt.Errorf("%w: page %d is outside 0..%d", ErrInvalid, page, MaxPage)
	}
	sum := sha256.Sum256([]byte(conversation))
	return fmt.Sprintf("%s%s/%s/%06d", imagestore.PrivatePrefix, imagestore.Segment(tenant), hex.EncodeToString(sum[:])[:32], page), nil
}

// Save encrypts and stores one page of messages and answers where it is.
func (s *Store) Save(ctx context.Context, req model.ArchiveRequest) (model.ArchivePage, error) {
	key, err := Key(req.Tenant, req.Conversation, req.Page)
	if err != nil {
		return model.ArchivePage{}, err
	}
	if len(req.Messages) == 0 {
		return model.ArchivePage{}, fmt.Errorf("%w: page %d has no messages", ErrInvalid, req.Page)
	}
	if err := s.put(ctx, key, req.Messages); err != nil {
		return model.ArchivePage{}, err
	}
	return model.ArchivePage{Key: key, Messages: len(req.Messages)}, nil
}

// Load reads a page back and checks it is the one that was saved there.
func (s *Store) Load(ctx context.Context, page model.ArchivePage) ([]model.Message, error) {
	var msgs []model.Message
	if err := s.get(ctx, page.Key, &msgs); err != nil {
		return nil, err
	}
	if len(msgs) != page.Messages {
		return nil, fmt.Errorf("archive: page %s holds %d messages, the conversation expects %d", page.Key, len(msgs), page.Messages)
	}
	return msgs, nil
}

// BodyKey is where the whole body of one long customer message is stored:
// transcripts/<tenant>/bodies/<first 32 hex of sha256(message)>, message
// naming it uniquely (its provider's id and where it came from), so a
// provider's retry overwrites its own copy.
func BodyKey(tenant, message string) (string, error) {
	if tenant == "" || message == "" {
		return "", fmt.Errorf("%w: tenant and message are required", ErrInvalid)
	}
	sum := sha256.Sum256([]byte(message))
	return fmt.Sprintf("%s%s/bodies/%s", imagestore.PrivatePrefix, imagestore.Segment(tenant), hex.EncodeToString(sum[:])[:32]), nil
}

// SaveBody encrypts and stores the whole body of a message and answers its key.
func (s *Store) SaveBody(ctx context.Context, tenant, message string, body model.MessageBody) (string, error) {
	key, err := BodyKey(tenant, message)
	if err != nil {
		return "", err
	}
	return key, s.put(ctx, key, body)
}

// LoadBody reads a message's whole body back.
func (s *Store) LoadBody(ctx context.Context, key string) (model.MessageBody, error) {
	var body model.MessageBody
	err := s.get(ctx, key, &body)
	return body, err
}

// put stores v as JSON, encrypted, bound to its key.
func (s *Store) put(ctx context.Context, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("archive: encode %s: %w", key, err)
	}
	enc, err := s.codec.Encode([]*commonpb.Payload{{
		Metadata: map[string][]byte{
			converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON),
			metadataKey:                []byte(key),
		},
		Data: data,
	}})
	if err != nil {
		return fmt.Errorf("archive: encrypt %s: %w", key, err)
	}
	body, err := proto.Marshal(enc[0])
	if err != nil {
		return fmt.Errorf("archive: %s: %w", key, err)
	}
	if err := s.objects.PutPrivate(ctx, key, "application/octet-stream", body); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}

// get reads the object at key into v and checks it was written for that key.
func (s *Store) get(ctx context.Context, key string, v any) error {
	body, err := s.objects.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	var stored commonpb.Payload
	if err := proto.Unmarshal(body, &stored); err != nil {
		return fmt.Errorf("archive: %s is not an archived object: %w", key, err)
	}
	// Decode passes unencrypted payloads through; an archived object never is one.
	if string(stored.GetMetadata()[codec.MetadataEncoding]) != codec.Encoding {
		return fmt.Errorf("archive: %s is not encrypted", key)
	}
	dec, err := s.codec.Decode([]*commonpb.Payload{&stored})
	if err != nil {
		return fmt.Errorf("archive: %s: %w", key, err)
	}
	if got := string(dec[0].GetMetadata()[metadataKey]); got != key {
		return fmt.Errorf("archive: %s holds what was written for %s", key, got)
	}
	if err := json.Unmarshal(dec[0].GetData(), v); err != nil {
		return fmt.Errorf("archive: %s: %w", key, err)
	}
	return nil
}
