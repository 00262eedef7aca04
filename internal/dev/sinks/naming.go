package sinks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// maxNameLen keeps file names well under the usual 255-byte limit once the
// hash suffix and extension are added.
const maxNameLen = 180

// fileNameForMessageID maps a Message-ID to a stable, safe file name, so a
// re-delivery of the same message overwrites its file instead of adding one.
// An id that is already safe is used verbatim (readable outbox); otherwise the
// unsafe characters are replaced and a hash of the original id is appended,
// so two ids that sanitise alike still get different files. An empty id
// gives "" and the caller falls back to fallbackName.
func fileNameForMessageID(id string) string {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if id == "" {
		return ""
	}
	safe := strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@+-=", r)) {
			return r
		}
		return '_'
	}, id)
	safe = strings.TrimLeft(safe, ".") // no hidden files, no "." or ".."
	if safe == id && len(safe) <= maxNameLen {
		return safe
	}
	if len(safe) > maxNameLen {
		safe = safe[:maxNameLen]
	}
	sum := sha256.Sum256([]byte(id))
	return safe + "-" + hex.EncodeToString(sum[:8])
}

var fallbackSeq atomic.Uint64

// fallbackName names a message that has no Message-ID: unique, and sorted by
// arrival when listed.
func fallbackName(now time.Time) string {
	return fmt.Sprintf("%s-%06d", now.UTC().Format("20060102T150405.000000000Z"), fallbackSeq.Add(1))
}
