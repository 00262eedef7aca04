package codec

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/converter"
)

// maxBody bounds one /encode or /decode request (Temporal's own limit for a
// payload is 2 MiB; the UI sends one event's payloads at a time).
const maxBody = 16 << 20

// Handler serves the codec endpoint the Temporal Web UI (and `temporal
// --codec-endpoint`) decode through: POST .../encode and POST .../decode with
// a JSON Payloads body, for the requests authorize lets in (401 for the
// others). Browsers may call it from allowOrigins only (for example
// http://127.0.0.1:8233); preflight OPTIONS requests are answered with 200.
func Handler(k *Keys, authorize Authorizer, allowOrigins ...string) http.Handler {
	codecHandler := converter.NewPayloadCodecHTTPHandler(must(k))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(allowOrigins, origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Max-Age", "600")
			h.Set("Access-Control-Allow-Credentials", "true") // the UI's "include credentials" option
		}
		w.Header().Add("Vary", "Origin")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusOK)
			return
		}
		if r.Method != http.MethodPost || !(strings.HasSuffix(r.URL.Path, "/encode") || strings.HasSuffix(r.URL.Path, "/decode")) {
			http.NotFound(w, r)
			return
		}
		if err := authorize(r); err != nil {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "unauthorized: "+err.Error(), http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		codecHandler.ServeHTTP(w, r)
	})
}

// NewServer is an HTTP server for Handler with timeouts; call Serve with a
// listener.
func NewServer(k *Keys, authorize Authorizer, allowOrigins ...string) *http.Server {
	return &http.Server{
		Handler:           Handler(k, authorize, allowOrigins...),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// UIOrigins returns the browser origins of a Web UI served at uiURL on
// loopback ("http://127.0.0.1:8233"): that URL and its localhost twin.
func UIOrigins(uiURL string) []string {
	uiURL = strings.TrimSuffix(uiURL, "/")
	if uiURL == "" {
		return nil
	}
	origins := []string{uiURL}
	if u, err := url.Parse(uiURL); err == nil && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost") {
		for _, host := range []string{"127.0.0.1", "localhost"} {
			twin := u.Scheme + "://" + host
			if p := u.Port(); p != "" {
				twin += ":" + p
			}
			if twin != uiURL {
				origins = append(origins, twin)
			}
		}
	}
	return origins
}
