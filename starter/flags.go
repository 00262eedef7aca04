package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"outbound/internal/api"
	"outbound/internal/codes"
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
		if _, _, ok := api.SplitConversationID(id.Value.String()); !ok {
			// the very refusal the client would answer, without the round trip
			err = codes.New(codes.BadRequest, "%q is not a conversation id (as printed by start)", id.Value.String())
		}
	}
	return err
}

// composeFlags is a message given as flags: --text, or --template with --var;
// for email also --html FILE and --image FILE (repeatable).
type composeFlags struct {
	text     string
	template string
	vars     []string
	html     string   // file
	images   []string // files
}

// maxFileBytes bounds what --html and --image read: far above the 15 KB image
// limit the workflow enforces, far below what a Temporal payload may carry.
const maxFileBytes = 1 << 20

func (f *composeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.text, "text", "", "message text")
	cmd.Flags().StringVar(&f.template, "template", "", "template id (instead of --text)")
	// StringArray, not StringSlice: a value may contain commas.
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "template variable `key=value` (repeatable)")
	cmd.Flags().StringVar(&f.html, "html", "", "email: HTML body from `FILE`; <img src=\"NAME\"> refers to an --image by its file name")
	cmd.Flags().StringArrayVar(&f.images, "image", nil, "email: inline image `FILE` (PNG, JPEG, GIF or WebP, at most 15 KB; repeatable); unreferenced images follow the body")
}

// email reports whether the message uses the email-only flags.
func (f *composeFlags) email(cmd *cobra.Command) bool {
	return cmd.Flags().Changed("html") || len(f.images) > 0
}

// compose validates the flags and returns the message, or nil when none was
// given and none is needed.
// The --html and --image files are read here, before any network call: an
// unreadable file is a usage error.
func (f *composeFlags) compose(cmd *cobra.Command, needed bool) (*model.Compose, error) {
	text, tmpl, html := cmd.Flags().Changed("text"), cmd.Flags().Changed("template"), cmd.Flags().Changed("html")
	switch {
	case text && tmpl:
		return nil, usagef("--text and --template cannot be used together")
	case html && tmpl:
		return nil, usagef("--html and --template cannot be used together")
	case !tmpl && len(f.vars) > 0:
		return nil, usagef("--var needs --template")
	case !text && !tmpl && !html && (needed || len(f.images) > 0):
		return nil, usagef("one of --text or --template is required (or --html for email)")
	case !text && !tmpl && !html:
		return nil, nil
	case text && f.text == "":
		return nil, usagef("--text must not be empty")
	case tmpl && f.template == "":
		return nil, usagef("--template must not be empty")
	case html && f.html == "":
		return nil, usagef("--html must not be empty")
	}
	vars, err := parseVars(f.vars)
	if err != nil {
		return nil, err
	}
	c := &model.Compose{Text: f.text, Template: f.template, Vars: vars}
	if html {
		data, err := readFlagFile("html", f.html)
		if err != nil {
			return nil, err
		}
		if !utf8.Valid(data) {
			return nil, usagef("--html %s: not UTF-8 text", f.html)
		}
		c.HTML = string(data)
	}
	for _, file := range f.images {
		if file == "" {
			return nil, usagef("--image must not be empty")
		}
		data, err := readFlagFile("image", file)
		if err != nil {
			return nil, err
		}
		name := filepath.Base(file)
		for _, prev := range c.Images {
			if prev.Name == name {
				return nil, usagef("--image: two files are named %s (an <img src> refers to an image by its file name)", name)
			}
		}
		c.Images = append(c.Images, model.Image{Name: name, Data: data})
	}
	return c, nil
}

// readFlagFile reads the file a flag names: a usage error when it cannot be
// read, is not a regular file, or is over maxFileBytes.
func readFlagFile(flag, file string) ([]byte, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, usagef("--%s %s: %v", flag, file, unwrapPathError(err))
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return nil, usagef("--%s %s: %v", flag, file, unwrapPathError(err))
	}
	if !info.Mode().IsRegular() {
		return nil, usagef("--%s %s: not a regular file", flag, file)
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxFileBytes+1))
	if err != nil {
		return nil, usagef("--%s %s: %v", flag, file, unwrapPathError(err))
	}
	if len(data) > maxFileBytes {
		return nil, usagef("--%s %s: larger than %d bytes", flag, file, maxFileBytes)
	}
	return data, nil
}

// unwrapPathError drops the path an *fs.PathError repeats.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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
func (a *app) printMessage(async bool, r api.MessageResult) {
	switch {
	case async:
		fmt.Fprintln(a.stdout, "sent")
	case r.Status == model.MessageFailed && r.Error != "":
		fmt.Fprintf(a.stdout, "%s failed: %s\n", r.MessageID, r.Error)
	default:
		fmt.Fprintf(a.stdout, "%s %s\n", r.MessageID, r.Status)
	}
}

// agentOp is an operation an agent performs on a conversation, answering the
// resulting status (accept, decline, close, conference).
type agentOp func(c *conversations.Client, ctx context.Context, id, agent string) (string, error)

func (a *app) agentOpCmd(name, agentHelp, short string, op agentOp) *cobra.Command {
	var id, agent string
	cmd := &cobra.Command{
		Use:   name + " --id C --agent A",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				status, err := op(c, ctx, id, agent)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, status)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "conversation id (as printed by start)")
	cmd.Flags().StringVar(&agent, "agent", "", agentHelp)
	required(cmd, "id", "agent")
	return cmd
}
