package main

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// terminal writes human-readable output with every control character shown
// as an escape (\x1b, \r, \u202e): a customer's text, an email subject or an
// error cannot move the cursor, retitle the window, hide a line or reorder
// text in the operator's terminal. Newlines and tabs pass: the output's own
// layout uses them, and free text is put on one line before it gets here
// (oneLine). JSON output does not come through here: it stays exact.
type terminal struct {
	w       io.Writer
	pending []byte // an incomplete UTF-8 sequence at the end of the last write
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
		case r >= 0x80 && r < 0xa0, bidiControl(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, data[:size]...)
		}
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

// bidiControl reports the characters that reorder the text around them.
func bidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
