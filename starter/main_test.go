package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

const validID = "conversation/acme/ep-sms/0123456789abcdef0123456789abcdef/run-1"

// runCLI runs the CLI with a dial that fails the test: none of these
// command lines may reach the network.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := newApp(&out, &errOut)
	a.dial = func(context.Context, *cobra.Command) (*conversations.Client, func(), error) {
		t.Errorf("%v: dialed the server before the flags were validated", args)
		return nil, nil, errors.New("no server in unit tests")
	}
	code = a.execute(args)
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // on stderr
	}{
		{nil, "missing command"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"show", "--id", validID, "extra"}, `unknown command "extra"`},
		{[]string{"send", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"show", "--json=maybe", "--id", validID}, "invalid argument"},
		{[]string{"start", "--agent", "alice", "--channel", "sms", "--to", "+14155550123"}, `required flag(s) "from" not set`},
		{[]string{"start", "--agent", "alice", "--channel", "fax", "--to", "+14155550123", "--from", "ep"}, `--channel must be sms|email, not "fax"`},
		{[]string{"start", "--agent", "", "--channel", "sms", "--to", "+14155550123", "--from", "ep"}, "--agent must not be empty"},
		{[]string{"start", "--agent", "a", "--channel", "sms", "--to", "+1", "--from", "ep", "--text", "hi", "--template", "g"}, "--text and --template cannot be used together"},
		{[]string{"start", "--agent", "a", "--channel", "sms", "--to", "+1", "--from", "ep", "--var", "a=b"}, "--var needs --template"},
		{[]string{"send", "--id", validID, "--agent", "alice"}, "one of --text or --template is required"},
		{[]string{"send", "--id", validID, "--agent", "alice", "--text", "hi", "--template", "greeting"}, "--text and --template cannot be used together"},
		{[]string{"send", "--id", validID, "--agent", "alice", "--text", "hi", "--var", "name=Jo"}, "--var needs --template"},
		{[]string{"send", "--id", validID, "--agent", "alice", "--template", "greeting", "--var", "name"}, `--var "name": want key=value`},
		{[]string{"send", "--id", validID, "--agent", "alice", "--template", "greeting", "--var", "=Jo"}, `--var "=Jo": want key=value`},
		{[]string{"send", "--id", validID, "--agent", "alice", "--template", "g", "--var", "a=1", "--var", "a=2"}, "--var a is given twice"},
		{[]string{"send", "--id", validID, "--agent", "alice", "--text", ""}, "--text must not be empty"},
		{[]string{"reply", "--id", validID}, `required flag(s) "text" not set`},
		{[]string{"transfer", "--id", validID, "--agent", "alice"}, "one of --queue or --to-agent is required"},
		{[]string{"transfer", "--id", validID, "--agent", "alice", "--queue", "support", "--to-agent", "bob"}, "--queue and --to-agent cannot be used together"},
		{[]string{"accept", "--id", validID}, `required flag(s) "agent" not set`},
		{[]string{"decline", "--agent", "bob"}, `required flag(s) "id" not set`},
		{[]string{"wrapup", "--id", validID, "--agent", "alice"}, `required flag(s) "reason" not set`},
		{[]string{"trigger", "--id", validID, "--agent", "alice"}, `required flag(s) "flow" not set`},
		{[]string{"send", "--id", validID, "--agent", "alice", "--text", "hi", "--async=notbool"}, "invalid argument"},
		{[]string{"close", "--id", validID, "--agent", "alice", "--async"}, "unknown flag: --async"}, // only messages have a signal form
		{[]string{"agent-state", "--agent", "alice", "--state", "busy"}, `--state must be available|idle|rona, not "busy"`},
		{[]string{"agent-state", "--agent", "alice"}, `required flag(s) "state" not set`},
		{[]string{"list", "--agent", ""}, "--agent must not be empty"},
		{[]string{"agents", "--queue", ""}, "--queue must not be empty"},
		// a malformed id is the client's BAD_REQUEST, answered before dialing
		{[]string{"show", "--id", "nonsense"}, `error: BAD_REQUEST: "nonsense" is not a conversation id`},
		{[]string{"conference", "--id", "conversation/acme/", "--agent", "alice"}, "error: BAD_REQUEST: "},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit status %d, want %d (stderr %q)", code, exitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.HasPrefix(stderr, "error: ") || !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q, want an error containing %q", stderr, tt.want)
			}
		})
	}
}

func TestUsageHint(t *testing.T) {
	_, _, stderr := runCLI(t, "transfer", "--id", validID, "--agent", "alice")
	want := "error: one of --queue or --to-agent is required\n" +
		"usage: starter transfer --id C --agent A (--queue Q | --to-agent B) [flags]\n" +
		"Run 'starter transfer --help' for details.\n"
	if stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	code, stdout, stderr := runCLI(t, "send", "--help")
	if code != exitOK || !strings.Contains(stdout, "--template") || stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestParseVars(t *testing.T) {
	got, err := parseVars([]string{"name=Jo", "ticket=A=1", "empty=", "list=a,b"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name": "Jo", "ticket": "A=1", "empty": "", "list": "a,b"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if vars, err := parseVars(nil); vars != nil || err != nil {
		t.Errorf("no --var: got %v, %v", vars, err)
	}
	for _, bad := range []string{"novalue", "=v", " k=v", "k =v"} {
		var usage usageError
		if _, err := parseVars([]string{bad}); !errors.As(err, &usage) {
			t.Errorf("parseVars(%q) = %v, want a usage error", bad, err)
		}
	}
}

func TestReport(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
		want string
	}{
		{"refusal", codes.New(codes.AgentStateNotAllowed, "agent %s is idle", "alice"), exitFailure, "error: AGENT_STATE_NOT_ALLOWED: agent alice is idle\n"},
		{"wrapped refusal", wrap(codes.New(codes.NotOwner, "bob does not own it")), exitFailure, "error: NOT_OWNER: bob does not own it\n"},
		{"bad request", codes.New(codes.BadRequest, "no such conversation"), exitUsage, "error: BAD_REQUEST: no such conversation\n"},
		{"usage", usagef("--queue and --to-agent cannot be used together"), exitUsage, "error: --queue and --to-agent cannot be used together\n"},
		{"infrastructure", errors.New("connect to Temporal at 127.0.0.1:7233: connection refused"), exitFailure, "error: connect to Temporal at 127.0.0.1:7233: connection refused\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if code := report(&buf, tt.err); code != tt.code {
				t.Errorf("exit status %d, want %d", code, tt.code)
			}
			if buf.String() != tt.want {
				t.Errorf("printed %q, want %q", buf.String(), tt.want)
			}
		})
	}
}

type wrapped struct{ err error }

func (w wrapped) Error() string { return "update failed: " + w.err.Error() }
func (w wrapped) Unwrap() error { return w.err }

func wrap(err error) error { return wrapped{err} }

func TestPrintMessage(t *testing.T) {
	tests := []struct {
		async bool
		res   api.MessageResult
		want  string
	}{
		{false, api.MessageResult{MessageID: "m2", Status: model.MessageSent}, "m2 sent\n"},
		{false, api.MessageResult{MessageID: "m3", Status: model.MessageFailed, Error: "carrier rejected"}, "m3 failed: carrier rejected\n"},
		{false, api.MessageResult{MessageID: "m4", Status: model.MessageReceived}, "m4 received\n"},
		{true, api.MessageResult{}, "sent\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		(&app{stdout: &out}).printMessage(tt.async, tt.res)
		if out.String() != tt.want {
			t.Errorf("printMessage(%v, %+v) = %q, want %q", tt.async, tt.res, out.String(), tt.want)
		}
	}
}
