package images

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"

	"outbound/internal/codes"
)

// policy is the sanitiser every agent HTML body goes through: bluemonday's
// UGC policy, which drops script, style, event handlers, iframe, object,
// embed, form and input, gives links rel="nofollow", and keeps only http,
// https, mailto and relative URLs (no javascript:, data: or cid:), with <img
// src> allowed under those URL rules. A bluemonday Policy is safe for
// concurrent use once built, and its output depends only on its input.
var policy = bluemonday.UGCPolicy()

// Sanitize returns the agent's HTML with everything that must not reach a
// customer removed: scripts, event handlers, iframes, forms, styles,
// javascript: and data: URLs. Every outbound HTML body goes through it, with
// images (Compose) or without.
func Sanitize(s string) string {
	return policy.Sanitize(s)
}

// Compose builds the HTML body of an email with hosted inline images. urls
// maps an attached image's name (its file's base name) to its public URL.
// Every <img src="NAME"> whose NAME is an attached image's name gets that URL;
// attached images the HTML does not reference are appended after the body as
// <p><img src="URL" alt="NAME"></p>, in the given order. The result is
// sanitised (Sanitize). Deterministic: no map is iterated.
func Compose(body string, urls map[string]string, order []string) string {
	var out strings.Builder
	referenced := map[string]bool{}
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break // io.EOF, or a read error strings.Reader never gives
		}
		raw := string(z.Raw())
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			out.WriteString(raw)
			continue
		}
		t := z.Token()
		if t.Data != "img" {
			out.WriteString(raw)
			continue
		}
		changed := false
		for i, a := range t.Attr {
			if a.Namespace != "" || a.Key != "src" {
				continue
			}
			if name, u, ok := lookup(a.Val, urls); ok {
				t.Attr[i].Val = u
				referenced[name] = true
				changed = true
			}
		}
		if changed {
			out.WriteString(t.String())
		} else {
			out.WriteString(raw)
		}
	}
	for _, name := range order {
		u, ok := urls[name]
		if !ok || referenced[name] {
			continue
		}
		referenced[name] = true // a name given twice in order is appended once
		out.WriteString(`<p><img src="` + html.EscapeString(u) + `" alt="` + html.EscapeString(name) + `"></p>`)
	}
	return Sanitize(out.String())
}

// lookup finds the attached image an <img src> value names: the value itself
// (spaces trimmed, a leading "./" dropped), or its percent-decoded form.
func lookup(src string, urls map[string]string) (name, u string, ok bool) {
	src = strings.TrimPrefix(strings.TrimSpace(src), "./")
	if u, ok := urls[src]; ok && src != "" {
		return src, u, true
	}
	if dec, err := url.PathUnescape(src); err == nil && dec != src {
		if u, ok := urls[dec]; ok {
			return dec, u, true
		}
	}
	return "", "", false
}

// maxCommentDepth bounds the HTML found inside comments that CheckHTML also
// reads (Outlook's <!--[if mso]>...<![endif]--> carries real markup).
const maxCommentDepth = 3

// CheckHTML refuses an HTML body with any Content-ID reference (rule 13:
// multipart emails with cid: images are not supported): in a URL attribute
// (src, href, srcset, background, ...), in CSS url() or a quoted CSS string
// (style attributes and <style> elements), including inside conditional
// comments. Case, character references (&#99;id:), CSS escapes and
// surrounding or embedded whitespace are tolerated. Plain text such as
// "acid: no" is not a reference.
func CheckHTML(s string) error {
	if where, found := findCID(s, 0); found {
		return codes.New(codes.CIDNotSupported,
			"the HTML body refers to an image by Content-ID (%s); cid: images are not supported: attach the image as an inline image and use <img src=\"FILE NAME\">", where)
	}
	return nil
}

// findCID reports the first cid: reference in s, as "img src" or "style".
func findCID(s string, depth int) (string, bool) {
	z := html.NewTokenizer(strings.NewReader(s))
	inStyle := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken: // io.EOF: strings.Reader gives no other error
			return "", false
		case html.CommentToken:
			if depth < maxCommentDepth {
				if where, found := findCID(string(z.Text()), depth+1); found {
					return where + " in a comment", true
				}
			}
		case html.TextToken:
			if inStyle && cssHasCID(string(z.Text())) {
				return "style element", true
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "style" {
				inStyle = false
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if t.Data == "style" && tt == html.StartTagToken {
				inStyle = true
			}
			for _, a := range t.Attr {
				key := strings.ToLower(a.Key)
				if a.Namespace != "" {
					key = strings.ToLower(a.Namespace) + ":" + key
				}
				switch {
				case key == "style":
					if cssHasCID(a.Val) {
						return t.Data + " style", true
					}
				case key == "srcset" || key == "imagesrcset":
					for _, cand := range strings.Split(a.Val, ",") {
						if urlIsCID(cand) {
							return t.Data + " " + key, true
						}
					}
				case urlAttr(key):
					if urlIsCID(a.Val) {
						return t.Data + " " + key, true
					}
				}
			}
		}
	}
}

// urlAttr reports whether an attribute holds a URL.
func urlAttr(key string) bool {
	switch key {
	case "src", "href", "background", "poster", "lowsrc", "dynsrc", "data", "action",
		"formaction", "cite", "longdesc", "usemap", "codebase", "archive", "profile",
		"manifest", "icon", "ping":
		return true
	}
	return strings.HasSuffix(key, "src") || strings.HasSuffix(key, "href") // data-src, xlink:href
}

// urlIsCID reports whether a URL attribute value (character references
// already decoded) uses the cid: scheme, the way a browser's URL parser reads
// it: leading and trailing C0 controls and spaces dropped, tabs and newlines
// removed anywhere, scheme case-insensitive.
func urlIsCID(v string) bool {
	v = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, v)
	v = strings.TrimFunc(v, func(r rune) bool { return r <= ' ' })
	return len(v) >= 4 && strings.EqualFold(v[:4], "cid:")
}

// cssHasCID reports whether CSS text refers to a cid: URL: url(cid:...),
// url("cid:...") or a quoted "cid:..." string (@import, image-set), after
// decoding CSS escapes, dropping comments and whitespace, ignoring case.
func cssHasCID(css string) bool {
	n := strings.ToLower(cssNormalize(css))
	return strings.Contains(n, "url(cid:") || strings.Contains(n, `"cid:`) || strings.Contains(n, `'cid:`)
}

// cssNormalize decodes CSS escapes (\63 or \c), removes /* comments */ and
// all whitespace.
func cssNormalize(css string) string {
	var b bytes.Buffer
	for i := 0; i < len(css); {
		c := css[i]
		switch {
		case c == '/' && i+1 < len(css) && css[i+1] == '*':
			end := strings.Index(css[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			i += end + 4
		case c == '\\' && i+1 < len(css):
			j := i + 1
			for j < len(css) && j-i <= 6 && isHex(css[j]) {
				j++
			}
			if j == i+1 { // not hex: the next character stands for itself
				r, size := utf8.DecodeRuneInString(css[j:])
				if r != '\n' && r != '\r' && r != '\f' { // an escaped newline is a line continuation
					b.WriteRune(r)
				}
				i = j + size
				continue
			}
			if v, err := strconv.ParseUint(css[i+1:j], 16, 32); err == nil && v > 0 && v <= utf8.MaxRune {
				b.WriteRune(rune(v))
			} else {
				b.WriteRune(utf8.RuneError)
			}
			i = j
			if i < len(css) && isSpace(css[i]) { // one whitespace ends the escape
				i++
			}
		case isSpace(c):
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}
