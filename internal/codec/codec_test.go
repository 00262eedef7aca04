package codec

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func b64(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

func mustParse(t *testing.T, spec string) *Keys {
	t.Helper()
	k, err := ParseKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustCodec(t *testing.T, k *Keys) *Codec {
	t.Helper()
	c, err := New(k)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func samplePayloads(t *testing.T) []*commonpb.Payload {
	t.Helper()
	ps, err := converter.GetDefaultDataConverter().ToPayloads("+14155550199", map[string]string{"text": "my parcel is late"}, nil, []byte{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	return ps.Payloads
}

func TestRoundTrip(t *testing.T) {
	c := mustCodec(t, mustParse(t, "k1:"+b64(newKey(t))))
	in := samplePayloads(t)
	enc, err := c.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range enc {
		if got := string(p.Metadata[MetadataEncoding]); got != Encoding {
			t.Errorf("payload %d encoding %q", i, got)
		}
		if got := string(p.Metadata[MetadataKeyID]); got != "k1" {
			t.Errorf("payload %d key id %q", i, got)
		}
		if len(p.Metadata) != 2 {
			t.Errorf("payload %d metadata leaks: %v", i, p.Metadata)
		}
		for _, secret := range []string{"14155550199", "parcel", "json/plain"} {
			if bytes.Contains(p.Data, []byte(secret)) {
				t.Errorf("payload %d holds %q in plaintext", i, secret)
			}
		}
	}
	again, _ := c.Encode(in[:1])
	if bytes.Equal(again[0].Data, enc[0].Data) {
		t.Error("two encryptions of one payload are identical: the nonce is not random")
	}
	dec, err := c.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(dec) != len(in) {
		t.Fatalf("decoded %d payloads, want %d", len(dec), len(in))
	}
	for i := range in {
		if !proto.Equal(dec[i], in[i]) {
			t.Errorf("payload %d: decoded %v, want %v", i, dec[i], in[i])
		}
	}
}

func TestDataConverterRoundTrip(t *testing.T) {
	dc := DataConverter(DevKeys())
	p, err := dc.ToPayload("hello +14155550199")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.Data, []byte("hello")) {
		t.Fatal("plaintext in the payload")
	}
	var s string
	if err := dc.FromPayload(p, &s); err != nil || s != "hello +14155550199" {
		t.Fatalf("FromPayload = %q, %v", s, err)
	}
}

func TestFailureConverterEncodesMessages(t *testing.T) {
	fc := FailureConverter(DevKeys())
	f := fc.ErrorToFailure(temporal.NewApplicationError("550 <ada@example.com>: recipient rejected", "DeliveryFailed"))
	if strings.Contains(f.GetMessage(), "ada@") || f.GetEncodedAttributes() == nil {
		t.Fatalf("failure message not encoded: %q", f.GetMessage())
	}
	if bytes.Contains(f.GetEncodedAttributes().GetData(), []byte("ada@")) {
		t.Fatal("encoded attributes in plaintext")
	}
	err := fc.FailureToError(f)
	if !strings.Contains(err.Error(), "ada@example.com") {
		t.Fatalf("decoded error %q", err)
	}
}

func TestRotation(t *testing.T) {
	k1, k2 := b64(newKey(t)), b64(newKey(t))
	old := mustCodec(t, mustParse(t, "k1:"+k1))
	enc, err := old.Encode(samplePayloads(t))
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustParse(t, "k2:"+k2+", k1:"+k1)
	if rotated.Current != "k2" {
		t.Fatalf("current = %q, want the first key", rotated.Current)
	}
	c := mustCodec(t, rotated)
	dec, err := c.Decode(enc)
	if err != nil {
		t.Fatalf("the rotated key set does not read old payloads: %v", err)
	}
	if !proto.Equal(dec[0], samplePayloads(t)[0]) {
		t.Fatal("old payload decodes wrongly")
	}
	fresh, _ := c.Encode(samplePayloads(t))
	if got := string(fresh[0].Metadata[MetadataKeyID]); got != "k2" {
		t.Fatalf("new payloads use key %q, want k2", got)
	}
	// Mixed batches decode key by key.
	if _, err := c.Decode(append(enc, fresh...)); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownKeyID(t *testing.T) {
	enc, _ := mustCodec(t, mustParse(t, "old:"+b64(newKey(t)))).Encode(samplePayloads(t))
	_, err := mustCodec(t, mustParse(t, "new:"+b64(newKey(t)))).Decode(enc)
	if err == nil || !strings.Contains(err.Error(), `unknown key id "old"`) {
		t.Fatalf("err = %v, want unknown key id", err)
	}
}

func TestTamperedFails(t *testing.T) {
	key := b64(newKey(t))
	c := mustCodec(t, mustParse(t, "k1:"+key+",k2:"+b64(newKey(t))))
	for name, tamper := range map[string]func(p *commonpb.Payload){
		"flipped bit": func(p *commonpb.Payload) { p.Data[len(p.Data)/2] ^= 1 },
		"truncated":   func(p *commonpb.Payload) { p.Data = p.Data[:10] },
		"nonce":       func(p *commonpb.Payload) { p.Data[0] ^= 0x80 },
		"relabelled":  func(p *commonpb.Payload) { p.Metadata[MetadataKeyID] = []byte("k2") },
	} {
		enc, _ := c.Encode(samplePayloads(t)[:1])
		tamper(enc[0])
		if _, err := c.Decode(enc); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	// the wrong key under the right id fails too
	enc, _ := c.Encode(samplePayloads(t)[:1])
	other := mustCodec(t, mustParse(t, "k1:"+b64(newKey(t))))
	if _, err := other.Decode(enc); err == nil {
		t.Error("decoded with the wrong key")
	}
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	in := samplePayloads(t)
	out, err := mustCodec(t, DevKeys()).Decode(in)
	if err != nil || !proto.Equal(out[0], in[0]) {
		t.Fatalf("plain payload: %v, %v", out, err)
	}
}

func TestParseKeys(t *testing.T) {
	good := newKey(t)
	for _, spec := range []string{
		"k:" + b64(good),
		" k : " + base64.RawURLEncoding.EncodeToString(good) + " ",
		"# comment\n\nk:" + b64(good) + "\n",
	} {
		k, err := ParseKeys(spec)
		if err != nil {
			t.Errorf("%q: %v", spec, err)
			continue
		}
		if key, _ := k.key("k"); !bytes.Equal(key, good) || k.Current != "k" {
			t.Errorf("%q: wrong key", spec)
		}
	}
	for name, spec := range map[string]string{
		"empty":     "",
		"no id":     b64(good),
		"short key": "k:" + b64(good[:16]),
		"not b64":   "k:***",
		"duplicate": "k:" + b64(good) + ",k:" + b64(good),
		"bad id":    "a b:" + b64(good),
	} {
		_, err := ParseKeys(spec)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), b64(good)) || strings.Contains(err.Error(), b64(good[:16])) {
			t.Errorf("%s: the error quotes the key: %v", name, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(KeysEnv, "")
	t.Setenv(KeysFileEnv, "")
	k, err := FromEnv()
	if err != nil || !k.Dev() {
		t.Fatalf("unset: %v, %v", k, err)
	}

	k1, k2 := newKey(t), newKey(t)
	t.Setenv(KeysEnv, "a:"+b64(k1)+",b:"+b64(k2))
	k, err = FromEnv()
	if err != nil || k.Current != "a" || k.Dev() || len(k.IDs()) != 2 {
		t.Fatalf("env: %v, %v", k, err)
	}

	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte("# rotated 2025-01\nb:"+b64(k2)+"\na:"+b64(k1)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(KeysFileEnv, file)
	if _, err := FromEnv(); err == nil {
		t.Fatal("both variables set: accepted")
	}
	t.Setenv(KeysEnv, "")
	k, err = FromEnv()
	if err != nil || k.Current != "b" {
		t.Fatalf("file: %v, %v", k, err)
	}
}

func TestKeysNeverPrinted(t *testing.T) {
	key := newKey(t)
	k := mustParse(t, "k2:"+b64(key)+",k1:"+b64(newKey(t)))
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", *k, k, k, k)} {
		if strings.Contains(s, b64(key)) || strings.Contains(s, fmt.Sprint(key)) || strings.Contains(s, string(key)) {
			t.Fatalf("key material printed: %s", s)
		}
	}
	if got := k.String(); got != "codec keys k2 (current), k1" {
		t.Fatalf("String = %q", got)
	}
	if data, _ := json.Marshal(k); bytes.Contains(data, []byte(b64(key))) {
		t.Fatalf("JSON holds the key: %s", data)
	}
}

func TestHandler(t *testing.T) {
	keys := mustParse(t, "k1:"+b64(newKey(t)))
	srv := httptest.NewServer(http.StripPrefix("/codec", Handler(keys, Open, "http://127.0.0.1:8233", "http://localhost:8233")))
	defer srv.Close()

	enc, err := mustCodec(t, keys).Encode(samplePayloads(t))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/codec/decode", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", "default")
	req.Header.Set("Origin", "http://localhost:8233")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("decode: %s: %s", resp.Status, data)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "http://localhost:8233" {
		t.Errorf("Allow-Origin = %q", got)
	}
	var out commonpb.Payloads
	if err := protojson.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	var number string
	if err := converter.GetDefaultDataConverter().FromPayload(out.Payloads[0], &number); err != nil || number != "+14155550199" {
		t.Fatalf("decoded %q, %v", number, err)
	}

	// /encode through the endpoint decodes with the codec
	resp, err = http.Post(srv.URL+"/codec/encode", "application/json", bytes.NewReader(mustJSON(t, samplePayloads(t))))
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := protojson.Unmarshal(data, &out); err != nil {
		t.Fatalf("encode: %s: %v", data, err)
	}
	if _, err := mustCodec(t, keys).Decode(out.Payloads); err != nil || string(out.Payloads[0].Metadata[MetadataEncoding]) != Encoding {
		t.Fatalf("encode answered %v (%v)", out.Payloads, err)
	}

	// preflight
	pre, _ := http.NewRequest(http.MethodOptions, srv.URL+"/codec/decode", nil)
	pre.Header.Set("Origin", "http://127.0.0.1:8233")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
	resp, err = http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preflight: %s", resp.Status)
	}
	h := resp.Header
	if h.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8233" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "X-Namespace") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Fatalf("preflight headers: %v", h)
	}

	// another origin gets no CORS grant
	pre.Header.Set("Origin", "http://evil.example")
	resp, err = http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("foreign origin allowed: %q", got)
	}

	// a payload under an unknown key is a 400 with a clear message
	foreign, _ := mustCodec(t, mustParse(t, "zz:"+b64(newKey(t)))).Encode(samplePayloads(t)[:1])
	resp, err = http.Post(srv.URL+"/codec/decode", "application/json", bytes.NewReader(mustJSON(t, foreign)))
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), "unknown key id") {
		t.Fatalf("unknown key: %s %s", resp.Status, data)
	}

	// GET is not served
	resp, err = http.Get(srv.URL + "/codec/decode")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET: %s", resp.Status)
	}
}

func mustJSON(t *testing.T, ps []*commonpb.Payload) []byte {
	t.Helper()
	data, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	if err != nil {
		t.Fatal(err)
	}
	return data
}
