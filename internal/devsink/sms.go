package devsink

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"outbound/internal/sms"
)

// SMSSink is an HTTP server implementing the create-message call of the
// Twilio Messages API; each accepted message becomes <outbox>/sms/<sid>.json.
type SMSSink struct {
	srv   *http.Server
	ln    net.Listener
	store *smsStore
	log   *zap.Logger
	done  chan struct{}
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
		return nil, fmt.Errorf("devsink: sms listen %s: %w", addr, err)
	}
	s := &SMSSink{ln: ln, store: store, log: log, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", s.createMessage)
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

// Close stops the server immediately; stored messages stay on disk.
func (s *SMSSink) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

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
		Status:         "queued",
	}
	if code, msg := validate(rec); code != 0 {
		writeTwilioError(w, http.StatusBadRequest, code, msg)
		return
	}
	rec.Segments = sms.Segments(rec.Body)
	s.respond(w, rec)
}

func (s *SMSSink) respond(w http.ResponseWriter, rec smsRecord) {
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
	writeJSON(w, http.StatusCreated, resourceFor(stored))
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
	}
	return 0, ""
}
