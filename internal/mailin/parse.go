package mailin

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/microcosm-cc/bluemonday"

	"outbound/internal/email"
)

// htmlPolicy keeps formatting, http/https (and mailto) links and images;
// drops scripts, event handlers, styles, forms, iframes and cid: or data:
// references. A Policy is safe for concurrent use once built.
var htmlPolicy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(false)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

// SanitizeHTML returns customer HTML safe to show to an agent.
func SanitizeHTML(html string) string {
	return strings.TrimSpace(htmlPolicy.Sanitize(html))
}

var parser = enmime.NewParser(enmime.SkipMalformedParts(true))

// Parse reads one RFC 5322 message. envelopeFrom (MAIL FROM) is the sender
// when the From header names no address.
func Parse(raw []byte, envelopeFrom string) (Message, error) {
	env, err := parser.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		return Message{}, fmt.Errorf("mailin: parse message: %w", err)
	}
	m := Message{
		From:      envelopeFrom,
		Subject:   strings.TrimSpace(env.GetHeader("Subject")),
		MessageID: firstOr(messageIDs(env.GetHeader("Message-ID")), ""),
		AutoReply: isAutoReply(env),
	}
	if isBounce(env, envelopeFrom) {
		m.Bounced, m.Bounce = true, bounceOf(raw, env)
		return m, nil
	}
	if list, err := env.AddressList("From"); err == nil && len(list) > 0 && list[0].Address != "" {
		m.From = list[0].Address
	}
	if env.HTML != "" {
		m.HTML = SanitizeHTML(env.HTML)
	}
	// enmime derives Text from the HTML when there is no text/plain part.
	m.Text = StripQuoted(env.Text)

	// The parent first, then the thread from newest to oldest.
	ids := messageIDs(env.GetHeader("In-Reply-To"))
	refs := messageIDs(strings.Join(env.GetHeaderValues("References"), " "))
	slices.Reverse(refs)
	for _, id := range append(ids, refs...) {
		if conv, ok := email.ConversationOf(id); ok {
			m.Thread = conv
			break
		}
	}
	return m, nil
}

var bracketedID = regexp.MustCompile(`<([^<>\s]+)>`)

// messageIDs lists the ids of a Message-ID, In-Reply-To or References value,
// without angle brackets, in header order. Values whose ids lack brackets
// (a common client bug) are split at whitespace and commas.
func messageIDs(v string) []string {
	var ids []string
	for _, m := range bracketedID.FindAllStringSubmatch(v, -1) {
		ids = append(ids, m[1])
	}
	if ids != nil {
		return ids
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == ','
	}) {
		if strings.Contains(f, "@") {
			ids = append(ids, strings.Trim(f, "<>"))
		}
	}
	return ids
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}

// StripQuoted removes the quoted previous message from a plain-text reply
// when it is clearly marked: the text ends with lines starting with ">" (blank
// lines allowed among them) and the non-blank line just before them is an
// attribution "On ... wrote:" (possibly wrapped over two lines). Anything
// else is returned unchanged apart from line endings and surrounding blank
// lines; so is a reply that would be left empty.
func StripQuoted(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = trimBlankLines(text)
	lines := strings.Split(text, "\n")

	// The quoted block: trailing lines starting with ">" or blank.
	q := len(lines)
	quoted := false
	for q > 0 {
		l := strings.TrimSpace(lines[q-1])
		if l == "" || strings.HasPrefix(l, ">") {
			quoted = quoted || l != ""
			q--
			continue
		}
		break
	}
	if !quoted || q == 0 {
		return text
	}
	// The attribution line(s) just above it.
	a := q - 1
	if !strings.HasSuffix(strings.TrimSpace(lines[a]), "wrote:") {
		return text
	}
	switch {
	case isAttributionStart(lines[a]):
	case a > 0 && isAttributionStart(lines[a-1]) && !strings.HasSuffix(strings.TrimSpace(lines[a-1]), "wrote:"):
		a--
	default:
		return text
	}
	reply := trimBlankLines(strings.Join(lines[:a], "\n"))
	if strings.TrimSpace(reply) == "" {
		return text
	}
	return reply
}

func isAttributionStart(line string) bool {
	return strings.HasPrefix(strings.TrimSpace(line), "On ")
}

// trimBlankLines drops leading and trailing blank lines and trailing spaces,
// keeping the indentation of the first line.
func trimBlankLines(s string) string {
	s = strings.TrimRight(s, " \t\r\n")
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 || strings.TrimSpace(s[:i]) != "" {
			break
		}
		s = s[i+1:]
	}
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return s
}
