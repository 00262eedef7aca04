package mailin

import (
	"mime"
	"regexp"
	"strings"

	"github.com/jhillyerd/enmime/v2"

	"outbound/internal/email"
)

// Bounce is a report that one of the service's outbound emails could not be
// delivered: the message it names and why.
type Bounce struct {
	Conversation string
	Message      string // the conversation's message id, e.g. "m3"
	Reason       string
}

var (
	diagnosticCode = regexp.MustCompile(`(?mi)^Diagnostic-Code:[ \t]*(.+)$`)
	dsnStatus      = regexp.MustCompile(`(?mi)^Status:[ \t]*([245]\.\d{1,3}\.\d{1,3})`)
)

// isBounce: a delivery status report (RFC 3464), mail from a mail system's
// own mailbox (MAILER-DAEMON, postmaster), or any mail from the null sender
// (MAIL FROM:<>) that is not an auto-reply such as an out-of-office.
func isBounce(env *enmime.Envelope, envelopeFrom string) bool {
	mediaType, params, _ := mime.ParseMediaType(env.GetHeader("Content-Type"))
	if strings.EqualFold(mediaType, "multipart/report") && strings.EqualFold(params["report-type"], "delivery-status") {
		return true
	}
	if list, err := env.AddressList("From"); err == nil && len(list) > 0 {
		local, _, _ := strings.Cut(strings.ToLower(list[0].Address), "@")
		if local == "mailer-daemon" || local == "postmaster" {
			return true
		}
	}
	return envelopeFrom == "" && !isAutoReply(env)
}

// isAutoReply recognises a message a program sent in answer (RFC 3834's
// Auto-Submitted, and the older Precedence and X-Autoreply headers that
// vacation responders still set).
func isAutoReply(env *enmime.Envelope) bool { return isAutoReplyHeader(env.GetHeader) }

func isAutoReplyHeader(get func(string) string) bool {
	submitted := strings.ToLower(strings.TrimSpace(get("Auto-Submitted")))
	precedence := strings.ToLower(strings.TrimSpace(get("Precedence")))
	return (submitted != "" && submitted != "no") ||
		precedence == "bulk" || precedence == "auto_reply" || precedence == "junk" ||
		get("X-Autoreply") != "" || get("X-Autorespond") != ""
}

// bounceOf finds the outbound message a bounce names: the first of the
// service's Message-IDs anywhere in it (the returned headers, In-Reply-To,
// References, or quoted in the text), and the reason the report gives.
// Nil when it names none.
func bounceOf(raw []byte, env *enmime.Envelope) *Bounce {
	for _, text := range []string{string(raw), env.Text} {
		for _, m := range bracketedID.FindAllStringSubmatch(text, -1) {
			if conversation, message, ok := email.MessageOf(m[1]); ok {
				return &Bounce{Conversation: conversation, Message: message, Reason: bounceReason(string(raw) + "\n" + env.Text)}
			}
		}
	}
	return nil
}

func bounceReason(text string) string {
	if m := diagnosticCode.FindStringSubmatch(text); m != nil {
		return oneLine(m[1])
	}
	if m := dsnStatus.FindStringSubmatch(text); m != nil {
		return "delivery status " + m[1]
	}
	return "the recipient's mail server returned the message"
}
