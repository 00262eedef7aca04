package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"reflect"
)

// Ports are every port the cluster listens on, all on 127.0.0.1. Zero means
// any free port; the choice is kept in DIR/ports.json so that a second start
// on the same directory serves the same addresses (cluster.env stays valid).
type Ports struct {
	Postgres int `json:"postgres"`

	Frontend           int `json:"frontend"` // gRPC, mTLS
	FrontendHTTP       int `json:"frontendHTTP"`
	FrontendMembership int `json:"frontendMembership"`
	History            int `json:"history"`
	HistoryMembership  int `json:"historyMembership"`
	Matching           int `json:"matching"`
	MatchingMembership int `json:"matchingMembership"`
	SystemWorker       int `json:"systemWorker"` // the server's internal worker service
	SystemWorkerMember int `json:"systemWorkerMembership"`
	UI                 int `json:"ui"`

	Gateway int `json:"gateway"` // provider webhooks
	SMTPIn  int `json:"smtpIn"`  // customer email
	Codec   int `json:"codec"`   // the Web UI's codec endpoint
	Desktop int `json:"desktop"`

	S3       int `json:"s3"`
	SMTPSink int `json:"smtpSink"`
	SMSSink  int `json:"smsSink"`
}

// resolvePorts reads DIR/ports.json if a previous start wrote it, else picks
// the requested ports (free ones for zeros) and writes it.
func resolvePorts(file string, want Ports) (Ports, error) {
	if data, err := os.ReadFile(file); err == nil {
		var p Ports
		if err := json.Unmarshal(data, &p); err != nil {
			return p, fmt.Errorf("%s: %w", file, err)
		}
		return p, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return want, err
	}
	p := want
	v := reflect.ValueOf(&p).Elem()
	taken := map[int64]bool{}
	for i := range v.NumField() {
		f := v.Field(i)
		for f.Int() == 0 || taken[f.Int()] {
			port, err := freePort()
			if err != nil {
				return p, err
			}
			f.SetInt(int64(port))
		}
		taken[f.Int()] = true
	}
	data, _ := json.MarshalIndent(p, "", "  ")
	return p, os.WriteFile(file, data, 0o644)
}

// freePort picks a free port below 32768: Temporal stores membership ports
// in a PostgreSQL smallint, and the kernel's own picks (ephemeral ports) are
// above it.
func freePort() (int, error) {
	for range 1000 {
		port := 20000 + mrand.IntN(12000)
		ln, err := net.Listen("tcp", hostPort(port))
		if err == nil {
			_ = ln.Close()
			return port, nil
		}
	}
	return 0, errors.New("no free port between 20000 and 32000")
}

func hostPort(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

// checkFree fails with the port's name when something else listens there
// (often a `go run ./dev` on the same default ports).
func (p Ports) checkFree() error {
	v := reflect.ValueOf(p)
	for i := range v.NumField() {
		ln, err := net.Listen("tcp", hostPort(int(v.Field(i).Int())))
		if err != nil {
			return fmt.Errorf("port %d (%s) is taken: stop what uses it, or start with another --data-dir and ports", v.Field(i).Int(), v.Type().Field(i).Tag.Get("json"))
		}
		_ = ln.Close()
	}
	return nil
}
