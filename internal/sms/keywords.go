package sms

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The carriers' opt-out and opt-in keywords (docs/rules.md §3): the whole message.
var (
	stopKeywords  = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
	startKeywords = []string{"START", "UNSTOP"}
)

// OptOutKeyword reports whether an SMS is an opt-out (out) or an opt-in, or
// no keyword at all. It compares the text's normalised form: compatibility
// characters folded (NFKC: "ＳＴＯＰ" is STOP), invisible ones removed (a
// zero-width space cannot hide "S\u200bTOP"), spaces trimmed, and then ASCII
// letters only, without regard to case. Unicode's own case rules are not
// used: they made "quıt" (a dotless ı) QUIT.
func OptOutKeyword(text string) (out, isKeyword bool) {
	word := strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return -1
		}
		return r
	}, norm.NFKC.String(text)))
	for _, r := range word {
		if r > unicode.MaxASCII {
			return false, false
		}
	}
	word = strings.ToUpper(word) // ASCII by now
	switch {
	case slices.Contains(stopKeywords, word):
		return true, true
	case slices.Contains(startKeywords, word):
		return false, true
	}
	return false, false
}
