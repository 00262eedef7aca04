package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"outbound/internal/api"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

func (a *app) showCmd() *cobra.Command {
	var id, message string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show --id C [--message M] [--json]",
		Short: "Show a conversation: who, channel, state, transcript; or one message whole",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				state, err := c.Show(ctx, id)
				if err != nil {
					return err
				}
				if message != "" {
					return a.writeBody(ctx, c, state, message, asJSON)
				}
				if asJSON {
					return writeJSON(a.json, state)
				}
				return writeConversation(a.stdout, state)
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "conversation id (as printed by start)")
	cmd.Flags().StringVar(&message, "message", "", "print this message's whole text (e.g. m3), read from the archive when the transcript holds a preview")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the conversation state (with --message: the message's text and HTML) as JSON")
	required(cmd, "id")
	return cmd
}

// writeBody prints one message's whole text, or its text and HTML as JSON.
func (a *app) writeBody(ctx context.Context, c *conversations.Client, st api.ConversationState, id string, asJSON bool) error {
	i := slices.IndexFunc(st.Messages, func(m model.Message) bool { return m.ID == id })
	if i < 0 {
		return usagef("the conversation has no message %q", id)
	}
	body, err := c.Body(ctx, st.Messages[i])
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(a.json, body)
	}
	_, err = fmt.Fprintln(a.stdout, body.Text)
	return err
}

func (a *app) listCmd() *cobra.Command {
	var f conversations.ListFilter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--agent A] [--customer ADDR] [--open] [--json]",
		Short: "List the tenant's conversations, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, name := range []string{"agent", "customer"} {
				if cmd.Flags().Changed(name) && cmd.Flags().Lookup(name).Value.String() == "" {
					return usagef("--%s must not be empty", name)
				}
			}
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				list, err := c.List(ctx, f)
				if err != nil {
					return err
				}
				if asJSON {
					if list == nil {
						list = []conversations.ConversationSummary{}
					}
					return writeJSON(a.json, list)
				}
				if len(list) == 0 {
					fmt.Fprintln(a.stderr, "no conversations")
					return nil
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTATUS\tCHANNEL\tENTRY POINT\tOWNER\tSTARTED")
				for _, s := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Status, s.Channel, s.EntryPoint, orDash(s.Owner), when(s.StartedAt))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&f.Agent, "agent", "", "only conversations this agent owns")
	cmd.Flags().StringVar(&f.Customer, "customer", "", "only conversations with this customer (E.164 number or email address)")
	cmd.Flags().BoolVar(&f.Open, "open", false, "only open conversations (active, offered, queued)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

// writeConversation prints the readable view of show.
func writeConversation(w io.Writer, s api.ConversationState) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(tw, "%s\t%s\n", label, value)
		}
	}
	line("Conversation", s.ID)
	line("Status", s.Status)
	line("Channel", string(s.Channel))
	line("Customer", s.Customer)
	entry := s.EntryPoint
	if s.EntryAddress != "" {
		entry += " (" + s.EntryAddress + ")"
	}
	line("Entry point", entry)
	line("Subject", s.Subject)
	line("Owner", orDash(s.Owner))
	line("Queue", s.Queue)
	line("Started", when(s.StartedAt))
	if !s.ClosedAt.IsZero() {
		line("Closed", when(s.ClosedAt))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nTranscript:")
	if len(s.Messages) == 0 {
		fmt.Fprintln(w, "  (no messages)")
	}
	if err := writeMessages(w, s.Messages); err != nil {
		return err
	}

	if t := s.PendingTransfer; t != nil {
		target := "queue " + t.ToQueue
		if t.ToAgent != "" {
			target = "agent " + t.ToAgent
		}
		from := ""
		if t.From != "" { // a queue's own offer comes from nobody
			from = " from " + t.From
		}
		fmt.Fprintf(w, "\nPending transfer:%s to %s", from, target)
		if t.OfferedTo != "" {
			fmt.Fprintf(w, ", offered to %s until %s", t.OfferedTo, when(t.OfferExpires))
		}
		if len(t.Tried) > 0 {
			fmt.Fprintf(w, " (already tried: %s)", strings.Join(t.Tried, ", "))
		}
		fmt.Fprintln(w)
	}
	if u := s.WrapUp; u != nil {
		switch {
		case u.Reason == "":
			fmt.Fprintf(w, "\nWrap-up: %s, pending (default applies at %s)\n", u.Agent, when(u.Due))
		case u.Auto:
			fmt.Fprintf(w, "\nWrap-up: %s, %s (default: no reason given in time)\n", u.Agent, u.Reason)
		default:
			fmt.Fprintf(w, "\nWrap-up: %s, %s\n", u.Agent, u.Reason)
		}
	}
	if len(s.Events) > 0 {
		fmt.Fprintln(w, "\nEvents:")
		ew := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, e := range s.Events {
			cells := []string{"  " + when(e.At), e.Kind, orDash(e.Agent)}
			if e.Detail != "" {
				cells = append(cells, oneLine(e.Detail))
			}
			fmt.Fprintln(ew, strings.Join(cells, "\t"))
		}
		if err := ew.Flush(); err != nil {
			return err
		}
	}
	if p := s.PreviousConversation; p != nil {
		fmt.Fprintf(w, "\nPrevious conversation: %s\n", *p)
		if err := writeMessages(w, s.PreviousMessages); err != nil {
			return err
		}
	}
	return nil
}

// writeMessages prints one message per line: time, direction, agent, status, text.
func writeMessages(w io.Writer, msgs []model.Message) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, m := range msgs {
		arrow, who := "→", orDash(m.Agent)
		if m.Direction == model.Inbound {
			arrow, who = "←", "customer"
		}
		if m.Auto {
			who += " (automatic reply)"
		}
		if m.Unauthenticated {
			who += " (sender not verified)"
		}
		status := m.Status
		if m.Error != "" {
			status += " (" + oneLine(m.Error) + ")"
		}
		text := oneLine(m.Text)
		if m.Body != "" {
			text += " [a preview: show --message " + m.ID + " for the whole]"
		}
		for _, media := range m.Media {
			text += " [media " + orDash(media.ContentType) + ": " + media.URL + "]"
		}
		fmt.Fprintf(tw, "  %s\t%s %s\t%s\t%s\t%s\n", when(m.At), arrow, m.ID, who, status, text)
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a multi-line text on its transcript line.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", " ⏎ ")
}
