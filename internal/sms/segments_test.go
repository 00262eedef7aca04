package sms

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGSMTableSize(t *testing.T) {
	// 128 code points in the default alphabet minus ESC, plus 10 extension chars.
	if n := utf8.RuneCountInString(GSMAlphabet); n != 127 {
		t.Fatalf("basic table has %d characters, want 127", n)
	}
	if len(gsmSeptets) != 137 {
		t.Fatalf("table has %d distinct characters, want 137 (duplicate?)", len(gsmSeptets))
	}
}

func TestSegments(t *testing.T) {
	rep := strings.Repeat
	cases := []struct {
		name string
		body string
		want int
	}{
		{"empty", "", 0},
		{"short ascii", "Hello, this is Acme support.", 1},
		{"gsm 160", rep("a", 160), 1},
		{"gsm 161", rep("a", 161), 2},
		{"gsm 306", rep("a", 306), 2},
		{"gsm 307", rep("a", 307), 3},
		{"gsm accented basic chars", rep("é", 160), 1},
		{"gsm greek basic chars", rep("Δ", 160), 1},
		{"extension chars take two septets", rep("€", 80), 1},
		{"extension 81 overflows single", rep("€", 81), 2},
		{"extension mixed", rep("a", 159) + "{", 2},
		{"extension never split", rep("a", 152) + "[" + rep("a", 152), 3},
		{"extension fits exactly", rep("a", 151) + "[" + rep("a", 153), 2},
		{"ucs2 70", rep("ş", 70), 1},
		{"ucs2 71", rep("ş", 71), 2},
		{"ucs2 134", rep("ş", 134), 2},
		{"ucs2 135", rep("ş", 135), 3},
		{"one non-gsm char switches all", rep("a", 69) + "ğ", 1},
		{"one non-gsm char switches all 2", rep("a", 70) + "ğ", 2},
		{"curly quote is not gsm", rep("a", 100) + "’", 2},
		{"emoji is two units", rep("😀", 35), 1},
		{"emoji 36", rep("😀", 36), 2},
		{"surrogate pair never split", rep("a", 66) + "😀" + rep("a", 66), 3},
		{"lowercase c-cedilla is not gsm", "ç", 1},
	}
	for _, c := range cases {
		if got := Segments(c.body); got != c.want {
			t.Errorf("%s: Segments = %d, want %d", c.name, got, c.want)
		}
	}
}
