package desktop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// sessionCookie is the signed-in agent. The __Host- prefix pins it to this
// origin over HTTPS (browsers treat http://localhost as secure too).
const sessionCookie = "__Host-desktop-session"

// Session timeouts: signed out after this long without a request, and this
// long after signing in whatever happens.
const (
	idleTimeout     = 30 * time.Minute
	absoluteTimeout = 12 * time.Hour
)

// session is who is signed in. It lives in the cookie, signed with the key
// every desktop process shares, so any process behind one address serves any
// agent and none keeps state of its own.
type session struct {
	Tenant string    `json:"t"`
	Agent  string    `json:"a"`
	Signed time.Time `json:"s"` // sign-in, for the absolute timeout
	Seen   time.Time `json:"l"` // last request, for the idle timeout
}

// sessions signs and checks session cookies.
type sessions struct {
	key []byte
	now func() time.Time
}

var errNoSession = errors.New("not signed in")

// read returns the request's valid session.
func (s *sessions) read(r *http.Request) (session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, errNoSession
	}
	data, err := s.open(c.Value)
	if err != nil {
		return session{}, err
	}
	var ss session
	if err := json.Unmarshal(data, &ss); err != nil {
		return session{}, errNoSession
	}
	now := s.now()
	if now.Sub(ss.Seen) > idleTimeout || now.Sub(ss.Signed) > absoluteTimeout {
		return session{}, errNoSession
	}
	return ss, nil
}

// write sets the cookie for ss, seen now: a new value at every sign-in (the
// old one cannot be replayed as this session) and on each request (the idle
// timeout slides).
func (s *sessions) write(w http.ResponseWriter, ss session) {
	ss.Seen = s.now()
	data, _ := json.Marshal(ss)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: s.seal(data), Path: "/",
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
		MaxAge: int(absoluteTimeout / time.Second),
	})
}

func (s *sessions) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// seal signs data for a cookie; open checks and returns it.
func (s *sessions) seal(data []byte) string {
	payload := base64.RawURLEncoding.EncodeToString(data)
	return payload + "." + s.sign(payload)
}

func (s *sessions) open(value string) ([]byte, error) {
	payload, sig, ok := strings.Cut(value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(payload))) {
		return nil, errNoSession
	}
	data, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, errNoSession
	}
	return data, nil
}

func (s *sessions) sign(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
