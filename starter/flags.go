package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"outbound/internal/conversations"
	"outbound/internal/model"
)

// required marks flags every invocation must give, with a non-empty value
// (checked in checkRequired before the command runs).
func required(cmd *cobra.Command, names ...string) {
	for _, n := range names {
		if err := cmd.MarkFlagRequired(n); err != nil {
			panic(err) // a typo in a flag name: a programming error
		}
	}
}

// checkFlags runs the checks every command shares, before any network call:
// required flags must not be empty (cobra itself only checks that they were
// given), and --id must look like a conversation id.
func checkFlags(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err == nil && len(f.Annotations[cobra.BashCompOneRequiredFlag]) > 0 && f.Value.String() == "" {
			err = usagef("--%s must not be empty", f.Name)
		}
	})
	if id := cmd.Flags().Lookup("id"); err == nil && id != nil {
		if _, _, ok := model.SplitConversationID(id.Value.String()); !ok {
			// the very refusal the client would answer, without the round trip
			err = conversations.BadRequest("%q is not a conversation id (as printed by start)", id.Value.String())
		}
	}
	return err
}

// composeFlags is a message given as flags: --text, or --template with --var.
type composeFlags struct {
	text     string
	template string
	vars     []string
}

func (f *composeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.text, "text", "", "message text")
	cmd.Flags().StringVar(&f.template, "template", "", "template id (instead of --text)")
	// StringArray, not StringSlice: a value may contain commas.
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "template variable `key=value` (repeatable)")
}

// compose validates the flags and returns the message, or nil when none was
// given and none is needed.
func (f *composeFlags) compose(cmd *cobra.Command, needed bool) (*model.Compose, error) {
	text, tmpl := cmd.Flags().Changed("text"), cmd.Flags().Changed("template")
	switch {
	case text && tmpl:
		return nil, usagef("--text and --template cannot be used together")
	case !tmpl && len(f.vars) > 0:
		return nil, usagef("--var needs --template")
	case !text && !tmpl && needed:
		return nil, usagef("one of --text or --template is required")
	case !text && !tmpl:
		return nil, nil
	case text && f.text == "":
		return nil, usagef("--text must not be empty")
	case tmpl && f.template == "":
		return nil, usagef("--template must not be empty")
	}
	vars, err := parseVars(f.vars)
	if err != nil {
		return nil, err
	}
	return &model.Compose{Text: f.text, Template: f.template, Vars: vars}, nil
}

// parseVars reads --var key=value arguments; the value may hold '=' and be empty.
func parseVars(args []string) (map[string]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	vars := make(map[string]string, len(args))
	for _, arg := range args {
		key, value, ok := strings.Cut(arg, "=")
		if !ok || key == "" || strings.TrimSpace(key) != key {
			return nil, usagef("--var %q: want key=value", arg)
		}
		if _, dup := vars[key]; dup {
			return nil, usagef("--var %s is given twice", key)
		}
		vars[key] = value
	}
	return vars, nil
}

// oneOf refuses a value outside the allowed set.
func oneOf(flag, value string, allowed ...string) error {
	for _, v := range allowed {
		if value == v {
			return nil
		}
	}
	return usagef("--%s must be %s, not %q", flag, strings.Join(allowed, "|"), value)
}

func mode(async bool) conversations.Mode {
	if async {
		return conversations.Async
	}
	return conversations.Sync
}

func addAsync(cmd *cobra.Command, async *bool) {
	cmd.Flags().BoolVar(async, "async", false, "send as a signal and return at once (prints \"sent\")")
}

// printMessage prints a send or reply result: "m2 sent", "m2 failed: reason".
func (a *app) printMessage(async bool, r model.MessageResult) {
	switch {
	case async:
		fmt.Fprintln(a.stdout, "sent")
	case r.Status == model.MessageFailed && r.Error != "":
		fmt.Fprintf(a.stdout, "%s failed: %s\n", r.MessageID, r.Error)
	default:
		fmt.Fprintf(a.stdout, "%s %s\n", r.MessageID, r.Status)
	}
}

// printStatus prints the conversation status an operation left, or "sent".
func (a *app) printStatus(async bool, status string) {
	if async {
		status = "sent"
	}
	fmt.Fprintln(a.stdout, status)
}

// agentOp is an operation an agent performs on a conversation, answering the
// resulting status (accept, decline, close, conference).
type agentOp func(c *conversations.Client, ctx context.Context, m conversations.Mode, id, agent string) (string, error)

func (a *app) agentOpCmd(name, agentHelp, short string, op agentOp) *cobra.Command {
	var id, agent string
	var async bool
	cmd := &cobra.Command{
		Use:   name + " --id C --agent A",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				status, err := op(c, ctx, mode(async), id, agent)
				if err != nil {
					return err
				}
				a.printStatus(async, status)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "conversation id (as printed by start)")
	cmd.Flags().StringVar(&agent, "agent", "", agentHelp)
	addAsync(cmd, &async)
	required(cmd, "id", "agent")
	return cmd
}
