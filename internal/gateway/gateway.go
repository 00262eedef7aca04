// Package gateway is the service's HTTP front door for channel providers: the
// SMS provider's inbound-message webhook and its delivery-status callbacks,
// in Twilio's format, every request signature-checked before anything else.
//
// Routes:
//
//	POST /webhooks/sms         inbound SMS (From, To, Body, MessageSid)
//	POST /webhooks/sms/status  status callback (MessageSid, MessageStatus, ErrorCode;
//	                           ?conversation=&message= as set by sms.StatusCallbackURL)
//
// Bad input gets a 4xx with a JSON error and changes nothing; a failure of
// the service behind (Temporal unreachable, a timeout) gets 503 so the
// provider retries. Logs name message sids and conversation ids, never
// message bodies, phone numbers or tokens.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
	"outbound/internal/sms"
)

// Conversations is the part of *conversations.Client the gateway uses.
type Conversations interface {
	// InboundAll hands customer messages to their records, which drop a
	// provider's retry of one after any restart and on any replica.
	InboundAll(ctx context.Context, msgs []conversations.InboundMessage) []error
	DeliveryStatus(ctx context.Context, conversation, messageID, status, errText string) error // a signal
}

var _ Conversations = (*conversations.Client)(nil)

// Config configures the gateway.
type Config struct {
	// PublicURL is scheme://host[:port] as the provider calls the gateway
	// (e.g. https://hooks.example.com, or http://127.0.0.1:8080 in dev).
	// Signatures cover the full URL, so it must be exact. When empty, the
	// URL is taken from the request's Host header: for local use only.
	PublicURL string
	// SMSAuthToken is the SMS account's auth token, which signs webhooks.
	// When empty every webhook is refused with 403.
	SMSAuthToken string
}

// InboundSMSPath is the route of the inbound-SMS webhook; the status
// callback route is sms.StatusCallbackPath.
const InboundSMSPath = "/webhooks/sms"

const (
	maxFormBytes = 64 << 10 // a Twilio webhook is a few KB
	// callTimeout bounds one call into the service, under the provider's own
	// 15 s webhook timeout so it gets our answer rather than its own timeout.
	callTimeout = 10 * time.Second
	// maxSidLen bounds what a MessageSid may be (Twilio's are 34 characters).
	maxSidLen = 64
)

// emptyTwiML answers an inbound message without replying to the customer.
const emptyTwiML = "<Response></Response>"

type handler struct {
	publicURL string
	token     string
	convs     Conversations
	inbound   *inboundQueues
	log       *zap.Logger
}

// New returns the gateway's handler. log may be nil.
func New(cfg Config, convs Conversations, log *zap.Logger) http.Handler {
	if log == nil {
		log = zap.NewNop()
	}
	h := &handler{
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		token:     cfg.SMSAuthToken,
		convs:     convs,
		inbound:   newInboundQueues(convs.InboundAll),
		log:       log.Named("gateway"),
	}
	if h.token == "" {
		h.log.Warn("no SMS auth token: every webhook will be refused")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+InboundSMSPath, h.inboundSMS)
	mux.HandleFunc("POST "+sms.StatusCallbackPath, h.smsStatus)
	return mux
}

// NewServer wraps a handler in an http.Server with timeouts suited to
// webhooks; the caller runs ListenAndServe/Serve and Shutdown.
func NewServer(addr string, h http.Handler, log *zap.Logger) *http.Server {
	if log == nil {
		log = zap.NewNop()
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      callTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(log.Named("gateway.http")),
	}
}

// DefaultPublicURL is the public URL for a gateway listening on addr and
// called on loopback (dev): http://127.0.0.1:PORT, or http://HOST:PORT when
// addr names a specific host.
func DefaultPublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// maxSMSBody is the longest inbound SMS a provider delivers (Twilio: 1,600
// characters, the text of 10 concatenated parts); a longer Body is not a
// provider's.
const maxSMSBody = 1600

// inboundSMS routes a customer's text to its conversation.
func (h *handler) inboundSMS(w http.ResponseWriter, r *http.Request) {
	form, ok := h.signedForm(w, r)
	if !ok {
		return
	}
	for _, field := range []string{"MessageSid", "From", "To"} {
		if strings.TrimSpace(form.Get(field)) == "" {
			writeError(w, http.StatusBadRequest, "missing "+field, field)
			return
		}
	}
	media, field, err := mediaOf(form)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), field)
		return
	}
	if strings.TrimSpace(form.Get("Body")) == "" && len(media) == 0 {
		writeError(w, http.StatusBadRequest, "missing Body (a message without media needs text)", "Body")
		return
	}
	sid := form.Get("MessageSid")
	if !validSid(sid) {
		writeError(w, http.StatusBadRequest, "malformed MessageSid", "MessageSid")
		return
	}
	if n := utf8.RuneCountInString(form.Get("Body")); n > maxSMSBody {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%d characters, over the %d an SMS provider delivers", n, maxSMSBody), "Body")
		return
	}
	log := h.log.With(zap.String("messageSid", sid))
	msg := conversations.InboundMessage{
		Channel: model.SMS,
		To:      form.Get("To"),
		From:    form.Get("From"),
		CustomerMessage: model.CustomerMessage{
			Text:       form.Get("Body"),
			ProviderID: sid,
			Media:      media,
		},
	}
	// Not cancelled when the provider hangs up: it retries, and the record
	// drops the copy.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), callTimeout)
	defer cancel()
	if err := h.inbound.hand(ctx, msg); err != nil {
		h.fail(w, log, "inbound sms", err)
		return
	}
	log.Info("inbound sms accepted")
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(emptyTwiML))
}

// smsStatus records the provider's news about an outbound message.
func (h *handler) smsStatus(w http.ResponseWriter, r *http.Request) {
	form, ok := h.signedForm(w, r)
	if !ok {
		return
	}
	query := r.URL.Query()
	conversation, messageID := query.Get("conversation"), query.Get("message")
	switch {
	case conversation == "":
		writeError(w, http.StatusBadRequest, "the callback URL names no conversation", "conversation")
		return
	case messageID == "":
		writeError(w, http.StatusBadRequest, "the callback URL names no message", "message")
		return
	case form.Get("MessageSid") == "":
		writeError(w, http.StatusBadRequest, "missing MessageSid", "MessageSid")
		return
	case !validSid(form.Get("MessageSid")):
		writeError(w, http.StatusBadRequest, "malformed MessageSid", "MessageSid")
		return
	}
	providerStatus, errorCode := form.Get("MessageStatus"), form.Get("ErrorCode")
	if errorCode != "" && !digits(errorCode) {
		writeError(w, http.StatusBadRequest, "ErrorCode is not a number", "ErrorCode")
		return
	}
	status, errText, known := sms.Outcome(providerStatus, errorCode)
	if !known {
		writeError(w, http.StatusBadRequest, "unknown MessageStatus "+strconv.Quote(providerStatus), "MessageStatus")
		return
	}
	log := h.log.With(zap.String("messageSid", form.Get("MessageSid")), zap.String("conversation", conversation),
		zap.String("message", messageID), zap.String("status", providerStatus))
	if status == "" {
		log.Debug("sms status ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), callTimeout)
	defer cancel()
	err := h.convs.DeliveryStatus(ctx, conversation, messageID, status, errText)
	if codes.Is(err, codes.ConversationClosed) {
		log.Info("sms status for a closed conversation ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	if err != nil {
		h.fail(w, log, "sms status", err)
		return
	}
	log.Info("sms status recorded")
	w.WriteHeader(http.StatusOK)
}

// maxMedia is the most attachments an MMS has (Twilio: 10).
const maxMedia = 10

// mediaOf reads an MMS's attachments (NumMedia, MediaUrlN,
// MediaContentTypeN): kept by reference, the provider holds them. A bad
// one is named by its field.
func mediaOf(form url.Values) (media []model.Media, field string, err error) {
	num := form.Get("NumMedia")
	if num == "" {
		return nil, "", nil
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > maxMedia {
		return nil, "NumMedia", fmt.Errorf("NumMedia is a number from 0 to %d", maxMedia)
	}
	for i := range n {
		field = fmt.Sprintf("MediaUrl%d", i)
		u, err := url.Parse(form.Get(field))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(form.Get(field)) > 2048 {
			return nil, field, fmt.Errorf("%s is not an http(s) URL of at most 2048 bytes", field)
		}
		typeField := fmt.Sprintf("MediaContentType%d", i)
		contentType, _, err := mime.ParseMediaType(form.Get(typeField))
		if form.Get(typeField) != "" && (err != nil || len(contentType) > 100) {
			return nil, typeField, fmt.Errorf("%s is not a media type", typeField)
		}
		media = append(media, model.Media{URL: u.String(), ContentType: contentType})
	}
	return media, "", nil
}

// signedForm parses the POST form and checks the provider's signature over
// the public URL of this request and the form; on failure it has answered.
func (h *handler) signedForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large", "")
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "the body is not a valid form", "")
		return nil, false
	}
	fullURL := h.base(r) + r.URL.RequestURI()
	if !sms.ValidSignature(h.token, fullURL, r.PostForm, r.Header.Get(sms.SignatureHeader)) {
		h.log.Warn("webhook refused: missing or invalid signature",
			zap.String("path", r.URL.Path), zap.String("messageSid", safeSid(r.PostForm.Get("MessageSid"))))
		writeError(w, http.StatusForbidden, "missing or invalid "+sms.SignatureHeader, "")
		return nil, false
	}
	return r.PostForm, true
}

func (h *handler) base(r *http.Request) string {
	if h.publicURL != "" {
		return h.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// fail answers a service error: a refusal (docs/rules.md §5 code) is 422 with the
// code, a malformed request the service caught is 400, anything else 503 so
// that the provider retries.
func (h *handler) fail(w http.ResponseWriter, log *zap.Logger, what string, err error) {
	code, msg, ok := codes.Of(err)
	switch {
	case code == codes.BadRequest:
		log.Info(what+" rejected", zap.String("reason", msg))
		writeError(w, http.StatusBadRequest, msg, "")
	case ok:
		log.Info(what+" refused", zap.String("code", string(code)))
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": msg, "code": string(code)})
	default:
		log.Error(what+" failed", zap.Error(err))
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "temporarily unable to process the request", "")
	}
}

// validSid accepts provider ids of sane length and characters; it bounds what
// the customer's record stores and what is logged.
func validSid(s string) bool {
	if s == "" || len(s) > maxSidLen {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// safeSid is s when it is a valid sid, else "" (refused requests' fields are
// not trusted into the log).
func safeSid(s string) string {
	if validSid(s) {
		return s
	}
	return ""
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg, field string) {
	writeJSON(w, status, errorBody{Error: msg, Field: field})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client hung up; nothing left to do
}
