package temporalserver

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// testLogger writes to stderr rather than t.Log: server goroutines may still
// log while shutting down, and t.Log after a test ends panics.
func testLogger() *zap.Logger {
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(os.Stderr), zapcore.WarnLevel))
}

func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	opts.Logger = testLogger()
	begin := time.Now()
	s, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("started in %v at %s", time.Since(begin), s.FrontendAddress())
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

func dial(t *testing.T, s *Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  s.FrontendAddress(),
		Namespace: s.Namespace(),
		Logger:    newSDKLogger(testLogger()),
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func greet(_ workflow.Context, name string) (string, error) { return "hello " + name, nil }

var customerID = temporal.NewSearchAttributeKeyKeyword("CustomerId")

func TestInMemoryServerRunsWorkflow(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{
		UIPort:           NoUI,
		SearchAttributes: map[string]enums.IndexedValueType{"CustomerId": enums.INDEXED_VALUE_TYPE_KEYWORD},
	})
	c := dial(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	assertSearchAttribute(ctx, t, c, s.Namespace(), "CustomerId")

	w := worker.New(c, "tq", worker.Options{})
	w.RegisterWorkflow(greet)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    "greet-1",
		TaskQueue:             "tq",
		TypedSearchAttributes: temporal.NewSearchAttributes(customerID.ValueSet("c-42")),
	}, greet, "dev")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil || got != "hello dev" {
		t.Fatalf("result %q, %v", got, err)
	}
	waitListed(ctx, t, c, `CustomerId = "c-42"`)
}

func assertSearchAttribute(ctx context.Context, t *testing.T, c client.Client, ns, name string) {
	t.Helper()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := resp.GetCustomAttributes()[name]; !ok {
		t.Fatalf("search attribute %s missing: %v", name, resp.GetCustomAttributes())
	}
}

// waitListed polls because SQL visibility is written asynchronously.
func waitListed(ctx context.Context, t *testing.T, c client.Client, query string) {
	t.Helper()
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err == nil && len(resp.GetExecutions()) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("query %s never matched (last err %v)", query, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func TestFileServerSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() + "/nested/data" // parent dirs must be created
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first := map[string]enums.IndexedValueType{"CustomerId": enums.INDEXED_VALUE_TYPE_KEYWORD}

	s := startServer(t, Options{DataDir: dir, UIPort: NoUI, SearchAttributes: first})
	_, err := dial(t, s).ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "survivor", TaskQueue: "nobody"}, "Anything")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// Restart with one more attribute: the existing one must not fail and
	// the new one goes through the operator service.
	more := map[string]enums.IndexedValueType{"CustomerId": enums.INDEXED_VALUE_TYPE_KEYWORD, "Attempt": enums.INDEXED_VALUE_TYPE_INT}
	s = startServer(t, Options{DataDir: dir, UIPort: NoUI, SearchAttributes: more})
	c := dial(t, s)
	desc, err := c.DescribeWorkflowExecution(ctx, "survivor", "")
	if err != nil {
		t.Fatalf("describe after restart: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("status %v", st)
	}
	assertSearchAttribute(ctx, t, c, s.Namespace(), "Attempt")
}

func TestUIServesIndex(t *testing.T) {
	t.Parallel()
	const codec = "http://127.0.0.1:1/codec"
	s := startServer(t, Options{CodecEndpoint: codec})
	if body := get(t, s.UIAddress()+"/"); !strings.Contains(body, "<html") {
		t.Fatalf("index is not HTML: %.200s", body)
	}
	if body := get(t, s.UIAddress()+"/api/v1/settings"); !strings.Contains(body, codec) {
		t.Fatalf("settings lack codec endpoint: %.500s", body)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, %v", url, resp.StatusCode, err)
	}
	return string(body)
}
