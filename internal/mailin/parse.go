package mailin

import (
	"bytes"
	"fmt"
	"mime"
	"net/mail"
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
// when the From header names no address. A message past the structure's
// bounds (structure.go) is not parsed: see tooComplex.
func Parse(raw []byte, envelopeFrom string) (Message, error) {
	if s := scanStructure(raw); !s.within() {
		return tooComplex(raw, envelopeFrom, s)
	}
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

	m.Thread = threadOf(env.GetHeader("In-Reply-To"), env.GetHeaderValues("References"))
	return m, nil
}

// tooComplex is a message nested deeper or split into more parts than
// parsing it could afford: its headers are read (sender, subject, thread)
// and its text is a notice for the agent followed by the raw message, which
// the archive keeps whole when it is long (conversations.Client.Inbound).
// Nothing the customer sent is lost, and no worker spends minutes on it.
func tooComplex(raw []byte, envelopeFrom string, s structure) (Message, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, fmt.Errorf("mailin: parse message headers: %w", err)
	}
	msg := Message{
		From:      envelopeFrom,
		Subject:   strings.TrimSpace(decodeHeader(m.Header.Get("Subject"))),
		MessageID: firstOr(messageIDs(m.Header.Get("Message-ID")), ""),
		AutoReply: isAutoReplyHeader(m.Header.Get),
		Text: fmt.Sprintf("[This email is nested %d levels deep in %d parts, past what is read (%d levels, %d parts); it is kept as it came, below.]\n\n%s",
			s.depth, s.parts, MaxNesting, MaxParts, strings.ToValidUTF8(string(raw), "\uFFFD")),
	}
	if list, err := m.Header.AddressList("From"); err == nil && len(list) > 0 {
		msg.From = list[0].Address
	}
	msg.Thread = threadOf(m.Header.Get("In-Reply-To"), m.Header["References"])
	return msg, nil
}

// decodeHeader decodes RFC 2047 words, keeping the value as it is when it
// cannot.
func decodeHeader(v string) string {
	if d, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// threadOf is the service conversation the In-Reply-To and References
// headers name: the parent first, then the thread from newest to oldest.
func threadOf(inReplyTo string, references []string) string {
	ids := messageIDs(inReplyTo)
	refs := messageIDs(strings.Join(references, " "))
	slices.Reverse(refs)
	for _, id := range append(ids, refs...) {
		if conv, ok := email.ConversationOf(id); ok {
			return conv
		}
	}
	return ""
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
