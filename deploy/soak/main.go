// Command soak runs the cluster (deploy/cluster) under load and faults and
// prints what survived: waves of 50 conversations (messages both ways, a
// transfer, a close) while, every few seconds, a worker or the history
// service is SIGKILLed or PostgreSQL is stopped for 10 s, in turn.
//
//	go run ./deploy/soak --faults 100 [--data-dir DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"go.uber.org/zap"

	"outbound/internal/dev/cluster"
	"outbound/internal/dev/soak"
)

func main() {
	dir := flag.String("data-dir", "", "the cluster's directory (default: a new temporary one, removed when all went well)")
	faults := flag.Int("faults", 100, "faults to inject")
	interval := flag.Duration("interval", 5*time.Second, "time between faults")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *dir, *faults, *interval); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string, faults int, interval time.Duration) error {
	keep := dir != ""
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "outbound-soak-"); err != nil {
			return err
		}
	}
	directory := filepath.Join(dir, "soak.yaml")
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return err
	}
	if err := os.WriteFile(directory, soak.Directory(soak.Agents), 0o644); err != nil {
		return err
	}
	fmt.Println("starting the cluster in", dir)
	c, err := cluster.Start(ctx, cluster.Options{Dir: dir, Repo: ".", Workers: 2, Directories: []string{directory}, Log: zap.NewNop()})
	if err != nil {
		return err
	}
	defer c.Stop()
	client, err := c.Conversations(ctx, soak.Tenant)
	if err != nil {
		return err
	}
	defer client.Temporal.Close()
	load := &soak.Load{Client: client, GatewayURL: c.GatewayURL(), SMSToken: c.SMSAuthToken(),
		Run: fmt.Sprintf("soak%d", time.Now().Unix()), Rounds: soak.Rounds, HTTP: &http.Client{Timeout: 15 * time.Second}}

	started := time.Now()
	injected := make(chan map[string]int, 1)
	faultsDone := make(chan struct{})
	go func() {
		defer close(faultsDone)
		injected <- inject(ctx, c, faults, interval)
	}()
	waves := 0
	for waiting := true; waiting && ctx.Err() == nil; waves++ {
		load.Wave(ctx, waves, soak.Conversations)
		select {
		case <-faultsDone:
			waiting = false
		default:
		}
	}
	<-faultsDone
	kinds := <-injected
	fmt.Printf("load done after %s, %d waves; checking\n", time.Since(started).Round(time.Second), waves)
	rep := load.Check(ctx, c.Outbox(), 5*time.Minute)
	total := 0
	for _, n := range kinds {
		total += n
	}
	fmt.Printf("\nfaults injected %d %v in %s (%d cores)\n%s\n",
		total, kinds, time.Since(started).Round(time.Second), runtime.NumCPU(), rep)
	if !rep.OK() {
		keep = true
		return fmt.Errorf("not everything survived; logs in %s", c.LogDir())
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	return nil
}

// inject runs faults in turn, one every interval, until n are done.
func inject(ctx context.Context, c *cluster.Cluster, n int, interval time.Duration) map[string]int {
	kinds := map[string]int{}
	plan := []string{"worker-1", "worker-2", "history", "worker-1", "worker-2", "postgres"}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		select {
		case <-ctx.Done():
			return kinds
		case <-time.After(interval):
		}
		kind := plan[i%len(plan)]
		var err error
		switch kind {
		case "worker-1":
			err = c.KillWorker(0)
		case "worker-2":
			err = c.KillWorker(1)
		case "history":
			err = c.KillTemporal("history")
		case "postgres":
			err = c.PostgresOutage(ctx, 10*time.Second)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fault", kind+":", err)
			continue
		}
		kinds[kind]++
		fmt.Printf("\r%d faults", i+1)
	}
	fmt.Println()
	return kinds
}
