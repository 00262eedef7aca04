package sms

import "testing"

// Found: "S\u200bTOP" (a zero-width space inside) did not opt out, and
// Unicode's case rules made words that are not STOP match. The normalised
// form decides: NFKC, invisible characters removed, ASCII case-insensitive.
func TestOptOutKeywordOnTheNormalisedForm(t *testing.T) {
	for text, want := range map[string]struct{ out, keyword bool }{
		"STOP":              {true, true},
		"  stop \n":         {true, true},
		"S\u200bTOP":        {true, true},   // zero-width space
		"\ufeffUNSUBSCRIBE": {true, true},   // byte-order mark
		"Q\u200dUIT\u2060":  {true, true},   // joiner, word joiner
		"ＳＴＯＰ":              {true, true},   // fullwidth, NFKC
		"start":             {false, true},  //
		"un\u00adstop":      {false, true},  // soft hyphen
		"quıt":              {false, false}, // dotless ı: ToUpper made it QUIT
		"STOP please":       {false, false},
		"ST\u200b\u200bOP!": {false, false},
		"stop\u0301":        {false, false}, // a combining accent makes another word
		"":                  {false, false},
		"\u2028STOP\u2029":  {true, true}, // line and paragraph separators
		"Ｓtart\u200c":       {false, true},
		"cancel\u180e":      {true, true}, // Mongolian vowel separator (a format character)
		"e\u0301nd":         {false, false},
	} {
		out, keyword := OptOutKeyword(text)
		if out != want.out || keyword != want.keyword {
			t.Errorf("OptOutKeyword(%+q) = out %v keyword %v, want out %v keyword %v", text, out, keyword, want.out, want.keyword)
		}
	}
}
