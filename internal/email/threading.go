package email

import (
	"regexp"
	"strings"
)

// MessageIDFor builds the RFC 5322 Message-ID (without angle brackets) of an
// outbound email: the message id and the conversation id, at the domain of
// the entry point's address. For message "m3" of conversation
// "conversation/acme/ep-email/<hex>/<uuid>" sent from support@acme.example it
// is "m3.conversation.acme.ep-email.<hex>.<uuid>@acme.example".
// ConversationOf is its inverse, so a customer reply naming it in In-Reply-To
// or References threads back into the conversation.
func MessageIDFor(conversation, messageID, fromAddress string) string {
	domain := fromAddress[strings.LastIndex(fromAddress, "@")+1:]
	local := strings.NewReplacer("/", ".", "@", ".").Replace(conversation)
	return messageID + "." + local + "@" + domain
}

var (
	idSegment = regexp.MustCompile(`^[a-z0-9-]+$`)
	hex32     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	runUUID   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// ConversationOf returns the conversation id a Message-ID built by
// MessageIDFor names, e.g. "conversation/acme/ep-email/<hex>/<uuid>" from
// "<m3.conversation.acme.ep-email.<hex>.<uuid>@acme.example>" (angle
// brackets and surrounding spaces optional). It reports false for any other
// id, such as one the customer's mail client generated.
//
// The id comes from a header the sender controls: the result only says which
// conversation the mail claims to continue, not that the sender belongs to it.
func ConversationOf(messageID string) (string, bool) {
	conversation, _, ok := MessageOf(messageID)
	return conversation, ok
}

// MessageOf is ConversationOf with the message's own id ("m3") too.
func MessageOf(messageID string) (conversation, message string, ok bool) {
	id := strings.TrimSpace(messageID)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	at := strings.LastIndexByte(id, '@')
	if at <= 0 || at == len(id)-1 {
		return "", "", false
	}
	// Tenant, entry point, key and run id contain no dots, so the last five
	// dot-separated fields are the conversation and the rest is the message id.
	parts := strings.Split(id[:at], ".")
	n := len(parts)
	if n < 6 || parts[0] == "" {
		return "", "", false
	}
	kind, tenant, entryPoint, key, run := parts[n-5], parts[n-4], parts[n-3], parts[n-2], parts[n-1]
	if kind != "conversation" || !idSegment.MatchString(tenant) || !idSegment.MatchString(entryPoint) ||
		!hex32.MatchString(key) || !runUUID.MatchString(run) {
		return "", "", false
	}
	for _, p := range parts[:n-5] {
		if p == "" {
			return "", "", false
		}
	}
	return strings.Join([]string{kind, tenant, entryPoint, key, run}, "/"), strings.Join(parts[:n-5], "."), true
}
