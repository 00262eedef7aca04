package mailin

import (
	"fmt"
	"strings"
	"testing"
)

// nested is a message of depth multipart/mixed parts, each inside the last,
// with a text part at the bottom and parts-1 more text parts beside it.
func nested(depth, parts int) []byte {
	var b strings.Builder
	b.WriteString("From: jane@customer.example\r\nTo: support@acme.example\r\nSubject: deep\r\nMessage-ID: <deep@customer.example>\r\nMIME-Version: 1.0\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nthe bottom\r\n")
	for i := 1; i < parts; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\nbeside %d\r\n", depth-1, i)
	}
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

func TestScanStructureCountsNestingAndParts(t *testing.T) {
	for _, c := range []struct{ depth, parts int }{{1, 1}, {3, 5}, {MaxNesting, 1}, {MaxNesting + 1, 1}, {2, MaxParts}} {
		got := scanStructure(nested(c.depth, c.parts))
		// Each level opens with one part; the bottom level has parts in all.
		want := structure{depth: c.depth, parts: c.depth - 1 + c.parts}
		if !want.within() {
			if got.within() {
				t.Errorf("depth %d, %d parts: scanned as %+v, within the bounds", c.depth, c.parts, got)
			}
			continue
		}
		if got != want {
			t.Errorf("depth %d, %d parts: scanned as %+v, want %+v", c.depth, c.parts, got, want)
		}
	}
	if s := scanStructure([]byte("Subject: plain\r\n\r\n--not a boundary\r\n")); s != (structure{}) {
		t.Errorf("a plain message: %+v", s)
	}
}

// Found: nesting 20,000 deep (1.45 MB) kept the CPU busy for 438 s. Past the
// bounds a message is not parsed: the agent gets a notice and the raw message
// (threading and sender from its headers); within them it parses as before.
func TestParseKeepsAMessagePastTheBoundsUnparsed(t *testing.T) {
	for name, raw := range map[string][]byte{
		"20,000 deep": nested(20000, 1),
		"2,000 parts": nested(2, 2000),
	} {
		m, err := Parse(raw, "bounce@customer.example")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.From != "jane@customer.example" || m.Subject != "deep" || m.MessageID != "deep@customer.example" ||
			!strings.HasPrefix(m.Text, "[This email is nested") || !strings.Contains(m.Text, "the bottom") {
			t.Errorf("%s: %+v", name, Message{From: m.From, Subject: m.Subject, MessageID: m.MessageID, Text: m.Text[:min(len(m.Text), 200)]})
		}
	}
	m, err := Parse(nested(MaxNesting, 3), "jane@customer.example")
	if err != nil || !strings.Contains(m.Text, "the bottom") || strings.HasPrefix(m.Text, "[This email") {
		t.Errorf("within the bounds: %v %q", err, m.Text)
	}
}
