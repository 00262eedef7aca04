package service

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"outbound/internal/api"
	"outbound/internal/dev/temporalserver"
	"outbound/internal/directory"
)

// tenantOf is a tenant of n agents padded to about size bytes once published.
func tenantOf(name string, n, size int) directory.Directory {
	d := directory.Directory{Tenant: name, WrapUpReasons: []string{"done"}}
	pad := strings.Repeat("x", max(0, size/n-60))
	for i := range n {
		d.Agents = append(d.Agents, directory.Agent{ID: fmt.Sprintf("a%d", i), Name: pad, License: "premium", Profile: "p1"})
	}
	return d
}

// Directories as large as a worker may serve together (two tenants of
// 3,500 agents, 1.5 MiB in all) publish to a real server and read back
// whole: the load-time bounds (directory.MaxTotalPublishedBytes) are what
// the server takes. (Issue 12, finding 5: 3.9 MB failed at publish.)
func TestLargestDirectoriesPublish(t *testing.T) {
	srv, err := temporalserver.Start(context.Background(), temporalserver.Options{UIPort: temporalserver.NoUI, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := worker.New(c, api.TaskQueue, worker.Options{})
	RegisterWorkflows(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	tenants := map[string]directory.Directory{}
	byFile := map[string]*directory.Directory{}
	for _, name := range []string{"big1", "big2"} {
		d := tenantOf(name, 3500, directory.MaxTotalPublishedBytes/2-4096)
		tenants[name], byFile[name+".yaml"] = d, &d
	}
	if err := directory.CheckTogether(byFile); err != nil {
		t.Fatalf("the test's tenants are over the bound: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := api.PublishDirectories(ctx, c, tenants); err != nil {
		t.Fatalf("publish: %v", err)
	}
	got, err := api.Directories(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range tenants {
		if g := got[name]; len(g.Agents) != len(d.Agents) || g.Agents[len(d.Agents)-1] != d.Agents[len(d.Agents)-1] {
			t.Fatalf("%s read back with %d agents", name, len(g.Agents))
		}
	}
}
