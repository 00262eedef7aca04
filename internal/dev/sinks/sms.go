package sinks

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"outbound/internal/sms"
)

// SMSSink is an HTTP server implementing the create-message call of the
// Twilio Messages API; each accepted message becomes <outbox>/sms/<sid>.json.
// A message sent with a StatusCallback URL is then reported to that URL as
// sent, then delivered, in signed callbacks (see SetAuthToken), and its
// file's status follows.
type SMSSink struct {
	srv       *http.Server
	ln        net.Listener
	store     *smsStore
	callbacks *callbacks
	log       *zap.Logger
	done      chan struct{}

	mu        sync.Mutex
	authToken string
}

// StartSMS listens on addr (e.g. "127.0.0.1:0"), reloads the idempotency
// index from earlier runs' files, and serves in the background.
func StartSMS(addr string, outboxDir string, log *zap.Logger) (*SMSSink, error) {
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("sms-sink")
	store, err := loadSMSStore(filepath.Join(outboxDir, "sms"), log)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dev sink: sms listen %s: %w", addr, err)
	}
	s := &SMSSink{ln: ln, store: store, callbacks: startCallbacks(store, log), log: log, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", s.createMessage)
	mux.HandleFunc("GET /2010-04-01/Accounts/{sid}/Messages/{message}", s.fetchMessage)
	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(log),
	}
	go s.serve()
	log.Info("sms sink listening", zap.String("url", s.URL()), zap.String("dir", store.dir))
	return s, nil
}

func (s *SMSSink) serve() {
	defer close(s.done)
	if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("sms sink stopped", zap.Error(err))
	}
}

// URL is the base URL to put in sms.Client.BaseURL.
func (s *SMSSink) URL() string { return "http://" + s.ln.Addr().String() }

// SetAuthToken sets the account auth token the sink signs status callbacks
// with (sms.Signature, X-Twilio-Signature header); the gateway must validate
// with the same token. Until it is set, each message's callbacks are signed
// with the token its sender authenticated with (the basic-auth password),
// which is the account's token for a real provider too. It may be called at
// any time; messages accepted afterwards use the new token.
func (s *SMSSink) SetAuthToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authToken = token
}

func (s *SMSSink) signingToken(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authToken != "" {
		return s.authToken
	}
	_, password, _ := r.BasicAuth()
	return password
}

// Close stops the server immediately and abandons pending status callbacks;
// stored messages stay on disk.
func (s *SMSSink) Close() error {
	err := s.srv.Close()
	<-s.done
	s.callbacks.stop()
	return err
}

// acceptedStatus is the status of every message the sink accepts, and so of
// every create answer, first or replayed.
const acceptedStatus = "queued"

// Twilio's limit on a message body, in characters.
const maxBodyChars = 1600

// e164 is '+' and up to 15 digits, not starting with 0.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

func (s *SMSSink) createMessage(w http.ResponseWriter, r *http.Request) {
	account := r.PathValue("sid")
	// Twilio authenticates as AccountSID:AuthToken; the sink checks only that
	// the caller identifies as the account in the path, not the token.
	if user, _, ok := r.BasicAuth(); !ok || user != account {
		writeTwilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeTwilioError(w, http.StatusBadRequest, 20001, "Could not parse form parameters")
		return
	}
	rec := smsRecord{
		AccountSID:     account,
		From:           r.PostFormValue("From"),
		To:             r.PostFormValue("To"),
		Body:           r.PostFormValue("Body"),
		IdempotencyKey: r.Header.Get(sms.IdempotencyHeader),
		ReceivedAt:     time.Now().UTC(),
		Status:         acceptedStatus,
		StatusCallback: r.PostFormValue("StatusCallback"),
	}
	if code, msg := validate(rec); code != 0 {
		writeTwilioError(w, http.StatusBadRequest, code, msg)
		return
	}
	rec.Segments = sms.Segments(rec.Body)
	s.respond(w, rec, s.signingToken(r))
}

// fetchMessage answers for one message by its sid (.../Messages/SM….json),
// with its status as the provider knows it now.
func (s *SMSSink) fetchMessage(w http.ResponseWriter, r *http.Request) {
	account := r.PathValue("sid")
	if user, _, ok := r.BasicAuth(); !ok || user != account {
		writeTwilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	sid, ok := strings.CutSuffix(r.PathValue("message"), ".json")
	rec, found := s.store.get(account, sid)
	if !ok || !found {
		writeTwilioError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	writeJSON(w, http.StatusOK, resourceFor(rec))
}

func (s *SMSSink) respond(w http.ResponseWriter, rec smsRecord, token string) {
	stored, created, err := s.store.create(rec)
	if err != nil {
		s.log.Error("storing sms failed", zap.Error(err))
		writeTwilioError(w, http.StatusInternalServerError, 20500, "Internal Server Error")
		return
	}
	if !created && (stored.To != rec.To || stored.From != rec.From || stored.Body != rec.Body) {
		// Reusing a key for different content is a caller bug worth surfacing;
		// the first answer still wins, as the provider's contract says.
		s.log.Warn("idempotency key reused with a different message", zap.String("sid", stored.SID))
	}
	// Bodies and numbers are customer data: log the sid only.
	s.log.Info("sms received", zap.String("sid", stored.SID), zap.Int("segments", stored.Segments), zap.Bool("replay", !created))
	answer := stored
	answer.Status = acceptedStatus // a replay repeats the first answer, not today's status
	writeJSON(w, http.StatusCreated, resourceFor(answer))
	// A replay reports nothing new: the first request's callbacks cover it.
	if created && stored.StatusCallback != "" {
		if token == "" {
			s.log.Warn("no auth token to sign status callbacks with; none sent", zap.String("sid", stored.SID))
			return
		}
		s.callbacks.enqueue(callbackJob{rec: stored, token: token})
	}
}

// validate returns Twilio's error code and message for a bad request, 0 if ok.
func validate(rec smsRecord) (int, string) {
	switch {
	case rec.To == "":
		return 21604, "A 'To' phone number is required."
	case rec.From == "":
		return 21603, "A 'From' phone number is required."
	case rec.Body == "":
		return 21602, "Message body is required."
	case !e164.MatchString(rec.To):
		return 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", rec.To)
	case utf8.RuneCountInString(rec.Body) > maxBodyChars:
		return 21617, "The concatenated message body exceeds the 1600 character limit."
	case rec.StatusCallback != "" && !validCallbackURL(rec.StatusCallback):
		return 21609, "The StatusCallback URL is not a valid URL."
	}
	return 0, ""
}
