package main

import (
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// terminal writes human-readable output with every control or invisible
// character shown as an escape (\x1b, \r, \u202e, \u200b): a customer's text, an email subject or an
// error cannot move the cursor, retitle the window, hide a line or reorder
// text in the operator's terminal. Newlines and tabs pass: the output's own
// layout uses them, and free text is put on one line before it gets here
// (oneLine). JSON output does not come through here: it stays exact.
type terminal struct {
	w       io.Writer
	pending []byte // an incomplete UTF-8 sequence at the end of the last write
	prev    rune   // the last character written
}

func (t *terminal) Write(p []byte) (int, error) {
	data := append(t.pending, p...)
	t.pending = nil
	out := make([]byte, 0, len(data))
	for len(data) > 0 {
		if !utf8.FullRune(data) {
			t.pending = append(t.pending, data...)
			break
		}
		r, size := utf8.DecodeRune(data)
		switch {
		case r == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, `\x%02x`, data[0])
		case r == '\n' || r == '\t':
			out = append(out, data[:size]...)
		case r < 0x20 || r == 0x7f:
			out = append(out, shortEscape(r)...)
		case r >= 0x80 && r < 0xa0, invisible(r) && !joinsEmoji(r, t.prev):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, data[:size]...)
		}
		t.prev = r
		data = data[size:]
	}
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

func shortEscape(r rune) string {
	switch r {
	case '\r':
		return `\r`
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	}
	return fmt.Sprintf(`\x%02x`, r)
}

// invisible reports the characters a reader cannot see but that change what
// is shown: format characters (bidi controls that reorder the text around
// them, zero-width spaces and joiners that hide inside a word such as
// "S\u200bTOP", the byte-order mark, the soft hyphen) and the line and
// paragraph separators, which break a line the output does not expect.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// joinsEmoji reports a zero-width joiner inside an emoji sequence (👩‍💻):
// after a symbol, a skin tone or a variation selector, never after a letter.
func joinsEmoji(r, prev rune) bool {
	return r == 0x200d && unicode.In(prev, unicode.So, unicode.Sk, unicode.Mn)
}
