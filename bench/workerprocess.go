package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"outbound/internal/address"
	"outbound/internal/codec"
	"outbound/internal/dev/testenv"
)

// codecKeyID names the key --idle-process generates: the production worker
// refuses the dev keys, so both processes share a fresh one.
const codecKeyID = "bench"

// useFreshCodecKey makes this process (and the worker it starts) encrypt
// payloads with a new random key.
func useFreshCodecKey() error {
	key := make([]byte, codec.KeySize)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	return os.Setenv(codec.KeysEnv, codecKeyID+":"+base64.StdEncoding.EncodeToString(key))
}

var maxOutboundLine = regexp.MustCompile(`maxOutbound: \d+`)

// workerProcess is the production worker binary run as a child process
// against the in-process server, so (c) reads the memory of a worker alone.
type workerProcess struct {
	cmd *exec.Cmd
	dir string
}

// startWorkerProcess builds ./worker, starts it with the environment's
// tenants, sinks and keys, waits until it polls, then stops the in-process
// worker so every workflow task goes to the child.
func startWorkerProcess(ctx context.Context, env *testenv.Env, maxOutbound int, out io.Writer) (*workerProcess, error) {
	dir, err := os.MkdirTemp("", "bench-worker-")
	if err != nil {
		return nil, err
	}
	p := &workerProcess{dir: dir}
	bin := filepath.Join(dir, "worker")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./worker")
	build.Dir, build.Stderr = repoRoot(), os.Stderr
	start := time.Now()
	if err := build.Run(); err != nil {
		p.stop()
		return nil, fmt.Errorf("build the worker: %w", err)
	}
	args := []string{"--metrics-addr", "127.0.0.1:0"}
	for tenant, yaml := range env.DirectoryYAML() {
		file := filepath.Join(dir, tenant+".yaml")
		if maxOutbound > 0 && tenant == testenv.IdleTenant { // as idleSlots raised it in-process
			yaml = maxOutboundLine.ReplaceAll(yaml, fmt.Appendf(nil, "maxOutbound: %d", maxOutbound))
		}
		if err := os.WriteFile(file, yaml, 0o600); err != nil {
			p.stop()
			return nil, err
		}
		args = append(args, "--directory", file)
	}
	smtpHost, smtpPort, _ := strings.Cut(env.SMTPAddr, ":")
	p.cmd = exec.CommandContext(ctx, bin, args...)
	p.cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+env.Server.FrontendAddress(), "TEMPORAL_NAMESPACE="+env.Server.Namespace(),
		address.KeyEnv+"="+string(env.Key),
		"SMTP_HOST="+smtpHost, "SMTP_PORT="+smtpPort, "SMTP_STARTTLS=false",
		"SMS_API_URL="+env.SMSURL, "SMS_ACCOUNT_SID=ACbench", "SMS_AUTH_TOKEN="+testenv.SMSAuthToken,
		"PUBLIC_URL="+env.GatewayURL,
	)
	logs, logw, err := os.Pipe()
	if err != nil {
		p.stop()
		return nil, err
	}
	p.cmd.Stdout, p.cmd.Stderr = logw, logw
	err = p.cmd.Start()
	logw.Close() // the child holds its own copy
	if err != nil {
		logs.Close()
		p.stop()
		return nil, err
	}
	if err := waitFor(logs, "worker running", time.Minute); err != nil {
		p.stop()
		return nil, err
	}
	env.Worker.Stop()
	fmt.Fprintf(out, "\n(c) worker process %d (built and started in %s); the in-process worker stopped\n",
		p.cmd.Process.Pid, time.Since(start).Round(100*time.Millisecond))
	return p, nil
}

func (p *workerProcess) pid() int { return p.cmd.Process.Pid }

func (p *workerProcess) stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
	_ = os.RemoveAll(p.dir)
}

// waitFor reads the child's log until a line holds want, then drains the
// rest in the background (a full pipe would block the child).
func waitFor(r io.Reader, want string, within time.Duration) error {
	found := make(chan bool, 1)
	var last []string // the child's last lines, to say why it exited
	go func() {
		s := bufio.NewScanner(r)
		seen := false
		for s.Scan() {
			if !seen && strings.Contains(s.Text(), want) {
				seen = true
				found <- true
			}
			if !seen {
				last = append(last[max(len(last)-4, 0):], s.Text())
			}
		}
		if !seen {
			found <- false
		}
	}()
	select {
	case ok := <-found:
		if !ok {
			return fmt.Errorf("the worker process exited before %q: %s", want, strings.Join(last, " | "))
		}
		return nil
	case <-time.After(within):
		return fmt.Errorf("the worker process did not log %q within %s", want, within)
	}
}

// repoRoot is the module root: ./worker is built from there.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}
