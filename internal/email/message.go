// Package email sends outbound conversation email over SMTP using go-mail.
package email

import (
	"errors"
	"fmt"
	"net/textproto"
	"sort"
	"strings"

	mail "github.com/wneessen/go-mail"
)

// Message is one outbound email. Ids (MessageID, InReplyTo, References) are
// given without angle brackets; brackets are tolerated and stripped so ids
// copied from received headers can be passed through.
type Message struct {
	From, To, Subject string
	Text              string // plain part, always sent
	HTML              string // optional; when set the mail is multipart/alternative text+html
	MessageID         string // required: deterministic ids are what make threading and dedupe work
	InReplyTo         string
	References        []string
	Headers           map[string]string // extra headers, e.g. "X-Conversation-Id"
}

// reservedHeaders are set from Message fields or by the MIME writer; letting
// Headers override them would produce contradictory or broken mail.
var reservedHeaders = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Subject": true, "Date": true,
	"Message-Id": true, "In-Reply-To": true, "References": true, "Mime-Version": true,
	"Content-Type": true, "Content-Transfer-Encoding": true,
}

// build turns m into a go-mail message. Every error here is a defect in the
// message itself, so the caller reports it as permanent.
func (m Message) build() (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("invalid From: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("invalid To: %w", err)
	}
	msg.Subject(m.Subject) // go-mail Q-encodes non-ASCII (RFC 2047)
	msg.SetDate()
	if err := m.setThreading(msg); err != nil {
		return nil, err
	}
	if err := m.setExtraHeaders(msg); err != nil {
		return nil, err
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

func (m Message) setThreading(msg *mail.Msg) error {
	id, err := cleanID(m.MessageID)
	if err != nil {
		return fmt.Errorf("invalid MessageID: %w", err)
	}
	msg.SetMessageIDWithValue(id)
	if m.InReplyTo != "" {
		parent, err := cleanID(m.InReplyTo)
		if err != nil {
			return fmt.Errorf("invalid InReplyTo: %w", err)
		}
		msg.SetGenHeader(mail.HeaderInReplyTo, "<"+parent+">")
	}
	if len(m.References) > 0 {
		refs := make([]string, 0, len(m.References))
		for _, r := range m.References {
			id, err := cleanID(r)
			if err != nil {
				return fmt.Errorf("invalid References entry: %w", err)
			}
			refs = append(refs, "<"+id+">")
		}
		// One space-separated value: go-mail joins multiple values with
		// commas, which is wrong for References, and folds long lines at spaces.
		msg.SetGenHeader(mail.HeaderReferences, strings.Join(refs, " "))
	}
	return nil
}

// cleanID strips optional angle brackets and checks the id is a plain
// ASCII id-left@id-right token that needs no encoding.
func cleanID(id string) (string, error) {
	id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
	if id == "" {
		return "", errors.New("empty message id")
	}
	at := strings.LastIndexByte(id, '@')
	if at <= 0 || at == len(id)-1 {
		return "", fmt.Errorf("message id %q is not of the form left@right", id)
	}
	for _, c := range []byte(id) {
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return "", fmt.Errorf("message id %q has a character not allowed in an id", id)
		}
	}
	return id, nil
}

// setExtraHeaders adds Headers in sorted order so the same Message always
// renders the same bytes.
func (m Message) setExtraHeaders(msg *mail.Msg) error {
	names := make([]string, 0, len(m.Headers))
	for name := range m.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !validFieldName(name) {
			return fmt.Errorf("invalid header name %q", name)
		}
		canonical := textproto.CanonicalMIMEHeaderKey(name)
		if reservedHeaders[canonical] {
			return fmt.Errorf("header %q must be set through its Message field", name)
		}
		// Values are RFC 2047-encoded by go-mail when needed, which also
		// neutralises CR/LF (no header injection).
		msg.SetGenHeader(mail.Header(name), m.Headers[name])
	}
	return nil
}

// validFieldName: RFC 5322 field-name, printable ASCII except ':'.
func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}
