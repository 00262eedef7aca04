package sinks

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// smsRecord is what the sink writes to <outbox>/sms/<sid>.json. It holds
// everything needed to rebuild the API response, so a replayed request — even
// after a restart — gets byte-for-byte the first answer (whose status is
// always acceptedStatus, whatever the message's status is by then).
type smsRecord struct {
	SID            string    `json:"sid"`
	AccountSID     string    `json:"accountSid"`
	From           string    `json:"from"`
	To             string    `json:"to"`
	Body           string    `json:"body"`
	IdempotencyKey string    `json:"idempotencyKey"`
	ReceivedAt     time.Time `json:"receivedAt"`
	Segments       int       `json:"segments"`
	// Status is the message's current status at the sink: queued when
	// accepted, then sent and delivered as the sink reports them.
	Status         string `json:"status"`
	StatusCallback string `json:"statusCallback,omitempty"`
}

// smsStore is the sink's outbox plus its idempotency index. One mutex covers
// lookup and write so two concurrent retries with one key cannot both send.
type smsStore struct {
	dir   string
	mu    sync.Mutex
	byKey map[string]smsRecord
	bySID map[string]smsRecord
}

// loadSMSStore indexes the records already in dir so a restarted sink keeps
// deduplicating. Unreadable files are skipped with a warning rather than
// failing startup: the outbox is a dev artefact people may edit by hand.
func loadSMSStore(dir string, log *zap.Logger) (*smsStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("dev sink: create %s: %w", dir, err)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("dev sink: list %s: %w", dir, err)
	}
	st := &smsStore{dir: dir, byKey: make(map[string]smsRecord), bySID: make(map[string]smsRecord)}
	for _, p := range paths {
		if strings.HasPrefix(filepath.Base(p), ".") {
			continue // temp file left by a crash
		}
		rec, err := readRecord(p)
		if err != nil {
			log.Warn("skipping unreadable sms record", zap.String("file", p), zap.Error(err))
			continue
		}
		if rec.Status != callbackStatuses[len(callbackStatuses)-1] {
			// The provider went on while the sink was down: the message
			// reached the handset; the callbacks that would have said so
			// were lost with the process (GET of the message tells).
			if rec, err = st.setStatus(rec, callbackStatuses[len(callbackStatuses)-1]); err != nil {
				return nil, err
			}
		}
		st.index(rec)
	}
	return st, nil
}

// index makes rec findable by its idempotency key and its sid.
func (st *smsStore) index(rec smsRecord) {
	if rec.IdempotencyKey != "" {
		st.byKey[indexKey(rec.AccountSID, rec.IdempotencyKey)] = rec
	}
	st.bySID[rec.SID] = rec
}

// get returns the message with this sid of this account.
func (st *smsStore) get(account, sid string) (smsRecord, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, ok := st.bySID[sid]
	return rec, ok && rec.AccountSID == account
}

func readRecord(path string) (smsRecord, error) {
	var rec smsRecord
	raw, err := os.ReadFile(path)
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return rec, err
	}
	if rec.SID == "" {
		return rec, fmt.Errorf("record has no sid")
	}
	return rec, nil
}

// indexKey scopes idempotency keys per account, as the provider does.
func indexKey(account, key string) string { return account + "\x00" + key }

// create stores rec under a fresh sid, unless its idempotency key was seen:
// then it returns the first record and created=false, writing nothing.
func (st *smsStore) create(rec smsRecord) (stored smsRecord, created bool, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	k := indexKey(rec.AccountSID, rec.IdempotencyKey)
	if rec.IdempotencyKey != "" {
		if first, ok := st.byKey[k]; ok {
			return first, false, nil
		}
	}
	rec.SID = newMessageSID()
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return smsRecord{}, false, err
	}
	if err := writeFileAtomic(filepath.Join(st.dir, rec.SID+".json"), append(data, '\n')); err != nil {
		return smsRecord{}, false, err
	}
	st.index(rec)
	return rec, true, nil
}

// setStatus records a new status for a stored message, rewriting its file.
func (st *smsStore) setStatus(rec smsRecord, status string) (smsRecord, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rec.Status = status
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return rec, err
	}
	if err := writeFileAtomic(filepath.Join(st.dir, rec.SID+".json"), append(data, '\n')); err != nil {
		return rec, err
	}
	st.index(rec)
	return rec, nil
}

// newMessageSID returns "SM" + 32 hex digits, the shape of a Twilio message sid.
func newMessageSID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	return "SM" + hex.EncodeToString(b[:])
}
