package mailin

import (
	"bytes"
	"context"
	"net"
	"net/mail"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"golang.org/x/net/publicsuffix"
)

// Sender authentication: is the From of an email its real sender's? It is
// when a DKIM signature of the From's domain verifies, or SPF passes for a
// MAIL FROM of that domain (DMARC's relaxed alignment: the same
// organisational domain). A message that fails is still taken, marked
// unauthenticated, and never joins an open conversation by its From alone.

// Envelope is what the SMTP session knows of a message's sender.
type Envelope struct {
	IP       net.IP // the connecting client
	HELO     string
	MailFrom string // "" for the null sender
}

// Authenticator decides whether a message's From is its sender's; reason
// says why, for the log (it names no address). String says how, for the
// receiver's start-up line.
type Authenticator interface {
	Authenticate(ctx context.Context, raw []byte, header mail.Header, from string, e Envelope) (pass bool, reason string)
	String() string
}

// Verify checks DKIM signatures and SPF itself, reading keys and records
// from Resolver (net.DefaultResolver in production).
type Verify struct {
	Resolver spf.DNSResolver
}

// maxSignatures bounds the DKIM signatures verified per message (each may
// cost a DNS lookup).
const maxSignatures = 5

func (Verify) String() string { return "DKIM and SPF, verified here (DMARC alignment)" }

func (v Verify) Authenticate(ctx context.Context, raw []byte, _ mail.Header, from string, e Envelope) (bool, string) {
	domain := domainOf(from)
	if domain == "" {
		return false, "the From has no domain"
	}
	lookup := func(name string) ([]string, error) { return v.Resolver.LookupTXT(ctx, name) }
	verifications, _ := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: lookup, MaxVerifications: maxSignatures})
	for _, ver := range verifications {
		if ver.Err == nil && aligned(ver.Domain, domain) {
			return true, "dkim=pass"
		}
	}
	if e.MailFrom != "" && aligned(domainOf(e.MailFrom), domain) {
		res, _ := spf.CheckHostWithSender(e.IP, e.HELO, e.MailFrom, spf.WithResolver(v.Resolver), spf.WithContext(ctx))
		if res == spf.Pass {
			return true, "spf=pass"
		}
	}
	return false, "no DKIM signature of the From's domain verifies and SPF does not pass for it"
}

// TrustRelay takes the verdict of the mail relay in front of the receiver
// (a provider's inbound parse, a corporate MTA) from its
// Authentication-Results header, recognised by its authserv-id; the same
// header from anyone else is ignored. The relay must remove such headers
// that arrive from outside, as RFC 8601 §5 asks.
type TrustRelay struct {
	AuthservID string
}

func (t TrustRelay) String() string { return "the Authentication-Results of relay " + t.AuthservID }

func (t TrustRelay) Authenticate(_ context.Context, _ []byte, header mail.Header, from string, _ Envelope) (bool, string) {
	domain := domainOf(from)
	for _, value := range header["Authentication-Results"] {
		id, results, err := authres.Parse(value)
		if err != nil || !strings.EqualFold(id, t.AuthservID) {
			continue
		}
		for _, r := range results {
			switch r := r.(type) {
			case *authres.DMARCResult:
				if r.Value == authres.ResultPass {
					return true, id + ": dmarc=pass"
				}
			case *authres.DKIMResult:
				if r.Value == authres.ResultPass && aligned(r.Domain, domain) {
					return true, id + ": dkim=pass"
				}
			case *authres.SPFResult:
				if r.Value == authres.ResultPass && aligned(domainOf(r.From), domain) {
					return true, id + ": spf=pass"
				}
			}
		}
		return false, id + " did not authenticate the sender"
	}
	return false, "no Authentication-Results from " + t.AuthservID
}

// AcceptUnauthenticated takes every From as its sender's: for `go run ./dev`
// only, where mail comes from the developer's own tools.
type AcceptUnauthenticated struct{}

func (AcceptUnauthenticated) String() string {
	return "NONE: every From is taken as the sender's (dev only)"
}

func (AcceptUnauthenticated) Authenticate(context.Context, []byte, mail.Header, string, Envelope) (bool, string) {
	return true, "not checked (dev)"
}

// aligned: the same organisational domain (DMARC relaxed alignment).
func aligned(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	orgA, errA := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(a))
	orgB, errB := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(b))
	return errA == nil && errB == nil && orgA == orgB
}

func domainOf(address string) string {
	at := strings.LastIndex(address, "@")
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(address[at+1:], ">"))
}
