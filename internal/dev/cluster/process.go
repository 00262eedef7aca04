package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is one child of the cluster: a binary, its arguments (never a
// secret: those go through the environment or files) and its environment.
// The supervisor restarts it when it exits on its own, as systemd or a
// container runtime would; Kill and Stop say when it should stay down.
type process struct {
	name    string
	bin     string
	args    []string
	env     []string
	logPath string
	cred    *syscall.Credential // run as this user (PostgreSQL refuses root)
	// stopSignal asks for a clean shutdown (PostgreSQL: SIGINT, fast shutdown).
	stopSignal os.Signal

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	wanted bool // restart when it exits
}

func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.startLocked()
}

func (p *process) startLocked() error {
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group: a Ctrl-C in the terminal reaches the cluster
	// command only, which stops the children in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: p.cred}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd, p.exited, p.wanted = cmd, make(chan struct{}), true
	go p.watch(cmd, logFile, p.exited)
	return nil
}

// watch waits for the process and restarts it if nobody asked it to stop.
func (p *process) watch(cmd *exec.Cmd, logFile *os.File, exited chan struct{}) {
	err := cmd.Wait()
	_ = logFile.Close()
	close(exited)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.wanted || p.cmd != cmd {
		return
	}
	note(p.logPath, fmt.Sprintf("cluster: %s exited (%v); restarting in 1s", p.name, err))
	time.AfterFunc(time.Second, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.wanted && p.cmd == cmd {
			if err := p.startLocked(); err != nil {
				note(p.logPath, "cluster: "+err.Error())
			}
		}
	})
}

// Kill sends SIGKILL; the supervisor starts it again a second later.
func (p *process) kill() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return errors.New(p.name + " is not running")
	}
	return p.cmd.Process.Kill()
}

// stop asks the process to exit and keeps it down; after grace it kills it.
func (p *process) stop(grace time.Duration) {
	p.mu.Lock()
	p.wanted = false
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	sig := p.stopSignal
	if sig == nil {
		sig = syscall.SIGTERM
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// pid is the running process's id, 0 when none.
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	select {
	case <-p.exited:
		return 0
	default:
		return p.cmd.Process.Pid
	}
}

// note appends a line of the supervisor's own to a process's log.
func note(logPath, line string) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %s\n", time.Now().UTC().Format(time.RFC3339), line)
}
