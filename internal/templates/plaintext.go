package templates

import (
	"strings"

	"golang.org/x/net/html"
)

// lineBreakingTags start or end a line in the plain-text rendering.
var lineBreakingTags = map[string]bool{
	"br": true, "p": true, "div": true, "li": true, "tr": true, "table": true,
	"ul": true, "ol": true, "blockquote": true, "hr": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
}

// PlainText derives the text/plain alternative of a rendered HTML email body
// (for mail clients without HTML, and for transcripts): tags are dropped,
// entities decoded, block elements become line breaks and paragraphs are
// separated by one blank line. Script and style contents are dropped.
func PlainText(htmlBody string) string {
	z := html.NewTokenizer(strings.NewReader(htmlBody))
	var b strings.Builder
	skipping := "" // the script/style element whose text is not content
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken: // io.EOF: the tokenizer is lenient, nothing else ends it
			return tidyLines(b.String())
		case html.TextToken:
			if skipping == "" {
				// Source line breaks are mere whitespace in HTML; only tags break lines.
				b.WriteString(strings.ReplaceAll(string(z.Text()), "\n", " "))
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch {
			case tt == html.StartTagToken && (tag == "script" || tag == "style"):
				skipping = tag
			case tt == html.EndTagToken && tag == skipping:
				skipping = ""
			case lineBreakingTags[tag]:
				b.WriteByte('\n')
			}
		}
	}
}

// tidyLines collapses whitespace as a browser would within each line, and
// runs of empty lines into one.
func tidyLines(s string) string {
	var lines []string
	blank := true // drops leading empty lines
	for _, line := range strings.Split(s, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" && blank {
			continue
		}
		blank = line == ""
		lines = append(lines, line)
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}
