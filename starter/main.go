// Command starter drives outbound conversations: a thin CLI over package
// conversations. Results go to stdout, one per line, so that
// `id=$(starter start ...)` works; errors go to stderr as
// "error: CODE: message" (exit 1 for a refusal, 2 for a usage error).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"

	"outbound/internal/address"
	"outbound/internal/codec"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/version"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // refused operation or infrastructure failure
	exitUsage   = 2 // missing or conflicting flags, unknown command, BAD_REQUEST
)

// commandTimeout bounds each command, connection included.
const commandTimeout = 30 * time.Second

const (
	defaultAddress   = "127.0.0.1:7233"
	defaultNamespace = "default"
)

// app is one invocation of the CLI.
type app struct {
	address, namespace, tenant string
	requestID                  string // --request-id of a command that changes something

	stdout, stderr io.Writer // human-readable: control characters shown escaped (terminal.go)
	json           io.Writer // --json output, exact
	timeout        time.Duration
	// dial opens the conversations client; tests replace it to prove that
	// invalid flags never reach the network.
	dial func(ctx context.Context, cmd *cobra.Command) (*conversations.Client, func(), error)
	ran  bool // a command's RunE started: cobra's own checks passed
}

// usageError is a usage mistake: exit status 2 with a usage hint.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func main() {
	os.Exit(newApp(os.Stdout, os.Stderr).execute(os.Args[1:]))
}

func newApp(stdout, stderr io.Writer) *app {
	a := &app{stdout: &terminal{w: stdout}, stderr: &terminal{w: stderr}, json: stdout, timeout: commandTimeout}
	a.dial = a.connect
	return a
}

// execute runs the command line and returns the exit status.
func (a *app) execute(args []string) int {
	root := a.rootCmd()
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	var usage usageError
	if !a.ran || errors.As(err, &usage) {
		// cobra's own checks (unknown command, bad or missing flags) and ours
		fmt.Fprintf(a.stderr, "error: %s\n", err.Error())
		fmt.Fprintf(a.stderr, "usage: %s\nRun '%s --help' for details.\n", cmd.UseLine(), cmd.CommandPath())
		return exitUsage
	}
	return report(a.stderr, err)
}

// report prints a command's failure and returns the exit status: a docs/rules.md §5
// refusal is "error: CODE: message" (1), malformed input "error: BAD_REQUEST:
// message" (2), anything else (e.g. the server is unreachable) "error: message" (1).
func report(w io.Writer, err error) int {
	if code, msg, ok := codes.Of(err); ok {
		fmt.Fprintf(w, "error: %s: %s\n", code, msg)
		if code == codes.BadRequest {
			return exitUsage
		}
		return exitFailure
	}
	var usage usageError
	if errors.As(err, &usage) {
		fmt.Fprintf(w, "error: %s\n", usage.msg)
		return exitUsage
	}
	fmt.Fprintf(w, "error: %s\n", err.Error())
	return exitFailure
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "starter COMMAND",
		Short:         "Start and drive outbound conversations (SMS, email)",
		Version:       version.String(),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("missing command")
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err.Error()} })

	pf := root.PersistentFlags()
	pf.StringVar(&a.address, "address", envOr("TEMPORAL_ADDRESS", defaultAddress), "Temporal frontend host:port (env TEMPORAL_ADDRESS)")
	pf.StringVar(&a.namespace, "namespace", envOr("TEMPORAL_NAMESPACE", defaultNamespace), "Temporal namespace (env TEMPORAL_NAMESPACE)")
	pf.StringVar(&a.tenant, "tenant", os.Getenv("OUTBOUND_TENANT"), "tenant (env OUTBOUND_TENANT; optional when the worker serves one tenant)")

	for _, cmd := range []*cobra.Command{
		a.startCmd(), a.sendCmd(), a.replyCmd(),
		a.transferCmd(), a.acceptCmd(), a.declineCmd(), a.wrapUpCmd(),
		a.closeCmd(), a.triggerCmd(), a.agentStateCmd(),
	} {
		root.AddCommand(a.retrySafe(cmd))
	}
	root.AddCommand(a.conferenceCmd(), a.showCmd(), a.listCmd(), a.agentsCmd(), a.queuesCmd())
	a.markRuns(root)
	return root
}

// retrySafe gives a command that changes something --request-id. The client
// retries a request that got no answer (conversations.RetryBudget) with its
// id, which acts once; after that the command says OUTCOME_UNKNOWN, and the
// same command with the same --request-id tells the outcome.
func (a *app) retrySafe(cmd *cobra.Command) *cobra.Command {
	cmd.Flags().StringVar(&a.requestID, "request-id", "",
		"the request's id: the same command with the same id acts once and prints the first answer (default: a new id)")
	return cmd
}

// markRuns records when a RunE starts: an error returned before that came
// from cobra's own parsing and validation, so it is a usage error. It also
// runs the flag checks all commands share (checkFlags).
func (a *app) markRuns(cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			a.ran = true
			if err := checkFlags(c); err != nil {
				return err
			}
			return run(c, args)
		}
	}
	for _, sub := range cmd.Commands() {
		a.markRuns(sub)
	}
}

// withClient runs fn with a connected client and a per-command deadline.
func (a *app) withClient(cmd *cobra.Command, fn func(ctx context.Context, c *conversations.Client) error) error {
	ctx, cancel := context.WithTimeout(cmd.Context(), a.timeout)
	defer cancel()
	if a.requestID != "" {
		ctx = conversations.WithRequestID(ctx, a.requestID)
	}
	c, closeClient, err := a.dial(ctx, cmd)
	if err != nil {
		return err
	}
	defer closeClient()
	err = fn(ctx, c)
	if _, _, refused := codes.Of(err); err != nil && !refused && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s (is the worker running?): %w", a.timeout, err)
	}
	return err
}

// connect builds the Temporal client from the SDK's environment configuration
// (TEMPORAL_* variables, config file: TLS, API key), with --address and
// --namespace taking precedence when given.
func (a *app) connect(ctx context.Context, cmd *cobra.Command) (*conversations.Client, func(), error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, nil, fmt.Errorf("load the Temporal client configuration: %w", err)
	}
	if cmd.Flags().Changed("address") || opts.HostPort == "" {
		opts.HostPort = a.address
	}
	if cmd.Flags().Changed("namespace") || opts.Namespace == "" {
		opts.Namespace = a.namespace
	}
	opts.Logger = log.NewStructuredLogger(slog.New(slog.DiscardHandler))
	// Payloads are encrypted with the worker's keys (dev key when unset).
	keys, err := codec.FromEnv()
	if err != nil {
		return nil, nil, err
	}
	codec.Configure(&opts, keys)
	reader, err := archiveReader(ctx, opts.HostPort, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("transcript archive: %w", err)
	}
	tc, err := dial(ctx, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to Temporal at %s (nothing was sent): %w", opts.HostPort, err)
	}
	key := os.Getenv(address.KeyEnv)
	if key == "" {
		key = address.DevKey
	}
	return &conversations.Client{Temporal: tc, IDKey: []byte(key), Tenant: a.tenant, Archive: reader}, tc.Close, nil
}

// dial connects, trying again while the frontend cannot be reached (it is
// restarting, say) for at most the client's retry budget, as every request
// is retried.
func dial(ctx context.Context, opts client.Options) (client.Client, error) {
	deadline := time.Now().Add(conversations.RetryBudget)
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 2*time.Second) {
		tc, err := client.DialContext(ctx, opts)
		var unavailable *serviceerror.Unavailable
		if err == nil || !errors.As(err, &unavailable) || time.Until(deadline) < backoff {
			return tc, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(backoff):
		}
	}
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
