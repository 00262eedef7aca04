package sms

import "unicode/utf8"

// GSMAlphabet is the GSM 03.38 default alphabet (3GPP TS 23.038), minus the ESC code itself.
// A message made only of these (and the extension table below) travels as
// 7-bit septets; a single other character forces the whole message to UCS-2,
// which is what makes an emoji or a curly quote triple a message's cost.
const GSMAlphabet = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// GSMExtension: extension table characters are sent as ESC + char: two septets each.
const GSMExtension = "\f^{}\\[~]|€"

var gsmSeptets = buildGSMTable()

func buildGSMTable() map[rune]int {
	t := make(map[rune]int, utf8.RuneCountInString(GSMAlphabet)+utf8.RuneCountInString(GSMExtension))
	for _, r := range GSMAlphabet {
		t[r] = 1
	}
	for _, r := range GSMExtension {
		t[r] = 2
	}
	return t
}

// Per-segment capacities. A concatenated message loses room to the user data
// header (6 bytes), hence 153 septets / 67 UTF-16 units per part.
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// Segments returns how many SMS parts body is billed and delivered as.
// An empty body is 0 segments. Units that must stay together — an ESC
// sequence in GSM-7, a surrogate pair in UCS-2 — are never split across parts,
// as carriers do, so a part may end up to one unit short of its capacity.
func Segments(body string) int {
	if body == "" {
		return 0
	}
	if units, ok := gsmUnits(body); ok {
		return pack(units, gsmSingle, gsmPart)
	}
	return pack(ucs2Units(body), ucs2Single, ucs2Part)
}

// gsmUnits returns each character's size in septets, or false when body has a
// character outside GSM-7.
func gsmUnits(body string) ([]int, bool) {
	units := make([]int, 0, len(body))
	for _, r := range body {
		n, ok := gsmSeptets[r]
		if !ok {
			return nil, false
		}
		units = append(units, n)
	}
	return units, true
}

// ucs2Units returns each character's size in UTF-16 code units (2 for
// characters outside the BMP, such as most emoji).
func ucs2Units(body string) []int {
	units := make([]int, 0, len(body))
	for _, r := range body {
		if r > 0xFFFF {
			units = append(units, 2)
		} else {
			units = append(units, 1)
		}
	}
	return units
}

// pack fills parts greedily without splitting a character.
func pack(units []int, single, part int) int {
	total := 0
	for _, u := range units {
		total += u
	}
	if total <= single {
		return 1
	}
	parts, used := 1, 0
	for _, u := range units {
		if used+u > part {
			parts++
			used = 0
		}
		used += u
	}
	return parts
}
