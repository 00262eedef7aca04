// Package fakes3 is the S3-compatible server of the dev stack and the tests.
package fakes3

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"

	"outbound/internal/imagestore"
)

// maxLifecycleBody bounds a lifecycle configuration PUT.
const maxLifecycleBody = 1 << 20

// Server is an in-process S3-compatible server for the dev stack and tests:
// gofakes3 with a file backend under a directory (objects in dir/buckets,
// metadata in dir/metadata, lifecycle configurations in dir/lifecycle), so
// images survive a restart. On top of gofakes3 it
//   - implements bucket lifecycle configuration (GET/PUT/DELETE ?lifecycle),
//     which gofakes3 lacks, stored as the XML the client sent (nothing
//     expires: the fake only keeps the configuration);
//   - serves objects publicly: an unsigned GET or HEAD of /bucket/key answers
//     the object with its Content-Type, so an email's <img src> URL opens,
//     except under imagestore.PrivatePrefix (the encrypted transcript archive); any
//     other request that is not signed with the fake's credentials is
//     refused (403), so customers cannot list or write.
//
// It listens on a loopback address only.
type Server struct {
	dir     string
	backend *s3afero.MultiBucketBackend
	s3      http.Handler
	ln      net.Listener
	srv     *http.Server
	done    chan error
	mu      sync.Mutex // lifecycle files
}

// Start starts the fake on addr ("" or "127.0.0.1:0" for any free port;
// the host must be a loopback address or localhost), storing under dir
// (created if missing).
func Start(dir, addr string) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("fake S3 address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("fake S3 address %q: the fake checks no credentials, so it listens on a loopback address only", addr)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	fs, err := s3afero.FsPath(abs, s3afero.FsPathCreateAll)
	if err != nil {
		return nil, fmt.Errorf("fake S3 directory: %w", err)
	}
	backend, err := s3afero.MultiBucket(fs)
	if err != nil {
		return nil, fmt.Errorf("fake S3 backend: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(abs, "lifecycle"), 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fake S3: %w", err)
	}
	f := &Server{
		dir:     abs,
		backend: backend,
		s3:      gofakes3.New(backend).Server(),
		ln:      ln,
		done:    make(chan error, 1),
	}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { f.done <- f.srv.Serve(ln) }()
	return f, nil
}

// URL is the fake's base URL (http://127.0.0.1:PORT): the S3 endpoint, and
// with "/bucket" the public base URL of a bucket.
func (f *Server) URL() string { return "http://" + f.ln.Addr().String() }

// Dir is the directory the fake stores under.
func (f *Server) Dir() string { return f.dir }

// Config is the Store configuration that uses the fake's bucket.
func (f *Server) Config(bucket string) imagestore.Config {
	cfg := imagestore.DevConfig()
	cfg.Endpoint, cfg.Bucket = f.URL(), bucket
	return cfg
}

// Close stops the server.
func (f *Server) Close() error {
	err := f.srv.Close()
	if serr := <-f.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// ServeHTTP routes a request: lifecycle to the fake's own handler, unsigned
// requests to the public object reader, the rest to gofakes3.
func (f *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !signedByFake(r) {
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || r.URL.RawQuery != "" {
			writeError(w, r, http.StatusForbidden, "AccessDenied", "Access Denied", "")
			return
		}
		bucket, key := splitPath(r.URL.Path)
		if bucket == "" || key == "" || strings.HasSuffix(key, "/") || private(key) {
			writeError(w, r, http.StatusForbidden, "AccessDenied", "Access Denied", "")
			return
		}
		f.s3.ServeHTTP(&publicObject{ResponseWriter: w}, r)
		return
	}
	if _, ok := r.URL.Query()["lifecycle"]; ok {
		f.lifecycle(w, r)
		return
	}
	f.s3.ServeHTTP(w, r)
}

// publicObject answers an unsigned GET of an image as a browser should get
// it: as the type it was stored with and nothing else (nosniff), and for
// no other site's scripts (gofakes3 adds a wildcard CORS header).
type publicObject struct {
	http.ResponseWriter
	wrote bool
}

func (p *publicObject) WriteHeader(status int) {
	if !p.wrote {
		h := p.Header()
		for name := range h {
			if strings.HasPrefix(name, "Access-Control-") {
				h.Del(name)
			}
		}
		h.Set("X-Content-Type-Options", "nosniff")
		p.wrote = true
	}
	p.ResponseWriter.WriteHeader(status)
}

func (p *publicObject) Write(b []byte) (int, error) {
	if !p.wrote {
		p.WriteHeader(http.StatusOK)
	}
	return p.ResponseWriter.Write(b)
}

// private reports whether key is under imagestore.PrivatePrefix, also when spelled so
// that the file backend or a case-insensitive disk would resolve it there
// ("./transcripts/…", "a/../transcripts/…", "Transcripts/…", "transcripts\…").
func private(key string) bool {
	clean := strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(key, `\`, "/")), "/") + "/"
	return len(clean) >= len(imagestore.PrivatePrefix) && strings.EqualFold(clean[:len(imagestore.PrivatePrefix)], imagestore.PrivatePrefix)
}

func splitPath(p string) (bucket, key string) {
	bucket, key, _ = strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return bucket, key
}

// lifecycleConfiguration is what the fake checks in a PUT.
type lifecycleConfiguration struct {
	XMLName xml.Name `xml:"LifecycleConfiguration"`
	Rules   []struct {
		ID     string `xml:"ID"`
		Status string `xml:"Status"`
	} `xml:"Rule"`
}

func (f *Server) lifecycle(w http.ResponseWriter, r *http.Request) {
	bucket, key := splitPath(r.URL.Path)
	if bucket == "" || key != "" {
		writeError(w, r, http.StatusBadRequest, "InvalidRequest", "lifecycle is a bucket subresource", "")
		return
	}
	if ok, err := f.backend.BucketExists(bucket); err != nil {
		writeError(w, r, http.StatusInternalServerError, "InternalError", err.Error(), bucket)
		return
	} else if !ok {
		writeError(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", bucket)
		return
	}
	file := filepath.Join(f.dir, "lifecycle", bucket+".xml")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		data, err := os.ReadFile(file)
		if errors.Is(err, os.ErrNotExist) {
			writeError(w, r, http.StatusNotFound, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", bucket)
			return
		} else if err != nil {
			writeError(w, r, http.StatusInternalServerError, "InternalError", err.Error(), bucket)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write(data)
	case http.MethodPut:
		data, err := io.ReadAll(io.LimitReader(r.Body, maxLifecycleBody+1))
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "IncompleteBody", err.Error(), bucket)
			return
		}
		var cfg lifecycleConfiguration
		if len(data) > maxLifecycleBody || xml.Unmarshal(data, &cfg) != nil {
			writeError(w, r, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed", bucket)
			return
		}
		if len(cfg.Rules) == 0 || len(cfg.Rules) > 1000 {
			writeError(w, r, http.StatusBadRequest, "MalformedXML", "a lifecycle configuration has 1 to 1000 rules", bucket)
			return
		}
		ids := map[string]bool{}
		for _, rule := range cfg.Rules {
			if len(rule.ID) > 255 || (rule.Status != "Enabled" && rule.Status != "Disabled") {
				writeError(w, r, http.StatusBadRequest, "MalformedXML", "a rule needs an ID of at most 255 characters and Status Enabled or Disabled", bucket)
				return
			}
			if rule.ID != "" && ids[rule.ID] {
				writeError(w, r, http.StatusBadRequest, "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule", bucket)
				return
			}
			ids[rule.ID] = true
		}
		if err := writeFileAtomic(file, data); err != nil {
			writeError(w, r, http.StatusInternalServerError, "InternalError", err.Error(), bucket)
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
			writeError(w, r, http.StatusInternalServerError, "InternalError", err.Error(), bucket)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, r, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource", bucket)
	}
}

func writeFileAtomic(file string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".lifecycle-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// writeError answers an S3 error document.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, message, bucket string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	type errorDoc struct {
		XMLName    xml.Name `xml:"Error"`
		Code       string
		Message    string
		BucketName string `xml:",omitempty"`
		Resource   string
	}
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(errorDoc{Code: code, Message: message, BucketName: bucket, Resource: r.URL.Path})
}
