package sinks_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap/zaptest"

	"outbound/internal/dev/sinks"
)

const account = "AC0123"

func startSMS(t *testing.T, dir string) *sinks.SMSSink {
	t.Helper()
	sink, err := sinks.StartSMS("127.0.0.1:0", dir, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	return sink
}

// post sends a create-message request with real HTTP and decodes the JSON answer.
func post(t *testing.T, base string, form url.Values, key string, auth bool) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/2010-04-01/Accounts/"+account+"/Messages.json", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if key != "" {
		req.Header.Set("I-Twilio-Idempotency-Token", key)
	}
	if auth {
		req.SetBasicAuth(account, "token")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("status %d, non-JSON body %q", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func validForm() url.Values {
	return url.Values{"To": {"+905321234567"}, "From": {"+14155550100"}, "Body": {"Hello {there} €"}}
}

func TestSMSCreateResponse(t *testing.T) {
	dir := t.TempDir()
	sink := startSMS(t, dir)
	status, out := post(t, sink.URL(), validForm(), "", true)
	if status != http.StatusCreated {
		t.Fatalf("status %d: %v", status, out)
	}
	sid, _ := out["sid"].(string)
	if len(sid) != 34 || !strings.HasPrefix(sid, "SM") {
		t.Errorf("sid %q", sid)
	}
	want := map[string]any{"status": "queued", "num_segments": "1", "to": "+905321234567", "from": "+14155550100", "body": "Hello {there} €"}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s = %v, want %v", k, out[k], v)
		}
	}
	if names := listDir(t, filepath.Join(dir, "sms")); len(names) != 1 || names[0] != sid+".json" {
		t.Fatalf("files %v, want only %s.json (no temp files)", names, sid)
	}
}

func TestSMSValidation(t *testing.T) {
	dir := t.TempDir()
	sink := startSMS(t, dir)
	with := func(k, v string) url.Values { f := validForm(); f.Set(k, v); return f }
	cases := []struct {
		name   string
		form   url.Values
		status int
		code   float64
	}{
		{"no to", with("To", ""), 400, 21604},
		{"no from", with("From", ""), 400, 21603},
		{"no body", with("Body", ""), 400, 21602},
		{"to without plus", with("To", "905321234567"), 400, 21211},
		{"to with letters", with("To", "+90532abc"), 400, 21211},
		{"body too long", with("Body", strings.Repeat("a", 1601)), 400, 21617},
	}
	for _, c := range cases {
		status, out := post(t, sink.URL(), c.form, "", true)
		if status != c.status || out["code"] != c.code || out["status"] != float64(c.status) {
			t.Errorf("%s: got %d %v, want %d code %v", c.name, status, out, c.status, c.code)
		}
	}
	if status, out := post(t, sink.URL(), validForm(), "", false); status != 401 || out["code"] != 20003.0 {
		t.Errorf("no auth: got %d %v, want 401/20003", status, out)
	}
	if names := listDir(t, filepath.Join(dir, "sms")); len(names) != 0 {
		t.Fatalf("rejected requests wrote %v", names)
	}
}

func TestSMSIdempotencySurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	first := startSMS(t, dir)
	_, out1 := post(t, first.URL(), validForm(), "conv-9/m1", true)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := startSMS(t, dir)
	status, out2 := post(t, second.URL(), validForm(), "conv-9/m1", true)
	if status != http.StatusCreated || fmt.Sprint(out1) != fmt.Sprint(out2) {
		t.Fatalf("replay after restart: %d %v, first answer %v", status, out2, out1)
	}
	if names := listDir(t, filepath.Join(dir, "sms")); len(names) != 1 {
		t.Fatalf("want 1 record, got %v", names)
	}
}

func TestSMSConcurrentRetriesSendOnce(t *testing.T) {
	dir := t.TempDir()
	sink := startSMS(t, dir)
	var wg sync.WaitGroup
	sids := make([]string, 8)
	for i := range sids {
		wg.Go(func() {
			_, out := post(t, sink.URL(), validForm(), "same-key", true)
			sids[i], _ = out["sid"].(string)
		})
	}
	wg.Wait()
	for _, sid := range sids {
		if sid == "" || sid != sids[0] {
			t.Fatalf("sids differ: %v", sids)
		}
	}
	if names := listDir(t, filepath.Join(dir, "sms")); len(names) != 1 {
		t.Fatalf("want 1 record, got %v", names)
	}
}

func TestSMSSkipsCorruptRecordsOnStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sms"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sms", "broken.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	sink := startSMS(t, dir)
	if status, out := post(t, sink.URL(), validForm(), "k", true); status != http.StatusCreated {
		t.Fatalf("status %d %v", status, out)
	}
}
