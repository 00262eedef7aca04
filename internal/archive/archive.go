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
	data, err := json.Marshal(req.Messages)
	if err != nil {
		return model.ArchivePage{}, fmt.Errorf("archive: encode page %d: %w", req.Page, err)
	}
	enc, err := s.codec.Encode([]*commonpb.Payload{{
		Metadata: map[string][]byte{
			converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON),
			metadataKey:                []byte(key),
		},
		Data: data,
	}})
	if err != nil {
		return model.ArchivePage{}, fmt.Errorf("archive: encrypt page %d: %w", req.Page, err)
	}
	body, err := proto.Marshal(enc[0])
	if err != nil {
		return model.ArchivePage{}, fmt.Errorf("archive: page %d: %w", req.Page, err)
	}
	if err := s.objects.PutPrivate(ctx, key, "application/octet-stream", body); err != nil {
		return model.ArchivePage{}, fmt.Errorf("archive: %w", err)
	}
	return model.ArchivePage{Key: key, Messages: len(req.Messages)}, nil
}

// Load reads a page back and checks it is the one that was saved there.
func (s *Store) Load(ctx context.Context, page model.ArchivePage) ([]model.Message, error) {
	body, err := s.objects.Get(ctx, page.Key)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	var stored commonpb.Payload
	if err := proto.Unmarshal(body, &stored); err != nil {
		return nil, fmt.Errorf("archive: page %s is not an archived page: %w", page.Key, err)
	}
	// Decode passes unencrypted payloads through; an archive page never is one.
	if string(stored.GetMetadata()[codec.MetadataEncoding]) != codec.Encoding {
		return nil, fmt.Errorf("archive: page %s is not encrypted", page.Key)
	}
	dec, err := s.codec.Decode([]*commonpb.Payload{&stored})
	if err != nil {
		return nil, fmt.Errorf("archive: page %s: %w", page.Key, err)
	}
	if got := string(dec[0].GetMetadata()[metadataKey]); got != page.Key {
		return nil, fmt.Errorf("archive: page %s holds the page written for %s", page.Key, got)
	}
	var msgs []model.Message
	if err := json.Unmarshal(dec[0].GetData(), &msgs); err != nil {
		return nil, fmt.Errorf("archive: page %s: %w", page.Key, err)
	}
	if len(msgs) != page.Messages {
		return nil, fmt.Errorf("archive: page %s holds %d messages, the conversation expects %d", page.Key, len(msgs), page.Messages)
	}
	return msgs, nil
}
