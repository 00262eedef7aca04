// Package codec encrypts Temporal payloads with AES-256-GCM so that customer
// addresses and message bodies never sit in plaintext in workflow histories,
// and serves the codec endpoint the Web UI decrypts them through.
//
// Every process that talks to the namespace (worker, starter, gateway, tests)
// must use DataConverter and FailureConverter with the same keys. Keys come
// from OUTBOUND_CODEC_KEYS or OUTBOUND_CODEC_KEYS_FILE (see FromEnv); without
// either, the fixed development key is used, which protects nothing.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload. Its data is nonce || AES-256-GCM sealed
// (proto-marshalled original payload), with the encoding and key id as
// additional authenticated data.
const (
	MetadataEncoding = converter.MetadataEncoding // "encoding"
	MetadataKeyID    = "encryption-key-id"
	Encoding         = "binary/encrypted"
)

// Codec is a converter.PayloadCodec that encrypts with the current key and
// decrypts with whichever key a payload names. Payloads that are not
// encrypted (histories written before encryption was turned on) decode
// unchanged.
type Codec struct {
	keys  *Keys
	aeads map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns the codec for a key set.
func New(k *Keys) (*Codec, error) {
	if k == nil {
		return nil, errors.New("codec: no keys")
	}
	c := &Codec{keys: k, aeads: make(map[string]cipher.AEAD, len(k.byID))}
	for id, key := range k.byID {
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", id, err)
		}
		c.aeads[id] = aead
	}
	if _, ok := c.aeads[k.Current]; !ok {
		return nil, fmt.Errorf("codec: current key %q is not among the keys", k.Current)
	}
	return c, nil
}

// must panics on keys that NewKeys, ParseKeys or DevKeys would have refused:
// a *Keys is only ever built by them, so this cannot happen.
func must(k *Keys) *Codec {
	c, err := New(k)
	if err != nil {
		panic(err)
	}
	return c
}

// Configure makes a client encrypt what it sends and decrypt what it reads
// with the keys. It also turns off the SDK's default gzip of gRPC messages:
// their payloads are AES-GCM ciphertext, which does not compress, so gzip
// only spent CPU on both ends (about 5% of a worker's, in the benchmark).
func Configure(opts *client.Options, k *Keys) {
	opts.DataConverter, opts.FailureConverter = DataConverter(k), FailureConverter(k)
	opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
}

// DataConverter wraps the SDK's default data converter with the codec.
func DataConverter(k *Keys) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), must(k))
}

// FailureConverter encodes failure messages and stack traces with the codec
// too: they can quote a customer address (an SMTP "recipient rejected", an
// SMS provider's "invalid To number").
func FailureConverter(k *Keys) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: DataConverter(k), EncodeCommonAttributes: true,
	})
}

// Encode encrypts each payload with the current key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.keys.Current
	aead := c.aeads[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("codec: marshal payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, fmt.Errorf("codec: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{MetadataEncoding: []byte(Encoding), MetadataKeyID: []byte(id)},
			Data:     aead.Seal(nonce, nonce, plain, additionalData(id)),
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload with the key its metadata names and
// passes other payloads through.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.aeads[id]
		if !ok {
			return payloads, fmt.Errorf("codec: payload encrypted with unknown key id %q (known: %v)", id, c.keys.IDs())
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return payloads, fmt.Errorf("codec: encrypted payload (key %q) is truncated", id)
		}
		nonce, sealed := data[:aead.NonceSize()], data[aead.NonceSize():]
		plain, err := aead.Open(nil, nonce, sealed, additionalData(id))
		if err != nil {
			return payloads, fmt.Errorf("codec: payload (key %q) does not decrypt: wrong key or tampered data", id)
		}
		orig := &commonpb.Payload{}
		if err := proto.Unmarshal(plain, orig); err != nil {
			return payloads, fmt.Errorf("codec: decrypted payload (key %q): %w", id, err)
		}
		out[i] = orig
	}
	return out, nil
}

// additionalData binds the ciphertext to its key id, so a payload relabelled
// with another id fails authentication instead of decrypting to garbage.
func additionalData(id string) []byte {
	return []byte(Encoding + "\x00" + id)
}
