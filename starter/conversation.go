package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"outbound/internal/conversations"
	"outbound/internal/model"
)

func (a *app) startCmd() *cobra.Command {
	var o conversations.StartOptions
	var channel string
	var msg composeFlags
	cmd := &cobra.Command{
		Use:   "start --agent A --channel sms|email --to ADDR --from ENTRY_POINT [--subject S] [--text T | --template ID [--var k=v]...] [--html FILE] [--image FILE]...",
		Short: "Start an outbound conversation; prints its id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := oneOf("channel", channel, string(model.SMS), string(model.Email)); err != nil {
				return err
			}
			o.Channel = model.Channel(channel)
			if o.Channel != model.Email && msg.email(cmd) {
				return usagef("--html and --image are for the email channel")
			}
			first, err := msg.compose(cmd, false)
			if err != nil {
				return err
			}
			o.First = first
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				id, err := c.Start(ctx, o)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, id)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Agent, "agent", "", "the starting agent")
	f.StringVar(&channel, "channel", "", "sms or email")
	f.StringVar(&o.To, "to", "", "customer: E.164 mobile number (sms) or email address")
	f.StringVar(&o.EntryPoint, "from", "", "entry point id of the channel")
	f.StringVar(&o.Subject, "subject", "", "email subject (not used in this customer's earlier conversations)")
	msg.register(cmd)
	required(cmd, "agent", "channel", "to", "from")
	return cmd
}

func (a *app) sendCmd() *cobra.Command {
	var id, agent string
	var msg composeFlags
	var async bool
	cmd := &cobra.Command{
		Use:   "send --id C --agent A (--text T | --template ID [--var k=v]... | --html FILE) [--image FILE]...",
		Short: "Send an agent's message; prints its id and delivery status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			compose, err := msg.compose(cmd, true)
			if err != nil {
				return err
			}
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				res, err := c.Send(ctx, mode(async), id, agent, *compose)
				if err != nil {
					return err
				}
				a.printMessage(async, res)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "conversation id (as printed by start)")
	cmd.Flags().StringVar(&agent, "agent", "", "the sending agent (the owner)")
	msg.register(cmd)
	addAsync(cmd, &async)
	required(cmd, "id", "agent")
	return cmd
}

func (a *app) replyCmd() *cobra.Command {
	var id, text string
	var async bool
	cmd := &cobra.Command{
		Use:   "reply --id C --text T",
		Short: "Record a customer reply, as the inbound channel would",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				res, err := c.Reply(ctx, mode(async), id, text)
				if err != nil {
					return err
				}
				a.printMessage(async, res)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "conversation id (as printed by start)")
	cmd.Flags().StringVar(&text, "text", "", "the customer's message")
	addAsync(cmd, &async)
	required(cmd, "id", "text")
	return cmd
}

func (a *app) closeCmd() *cobra.Command {
	return a.agentOpCmd("close", "the owner", "Close the conversation; the agent goes to wrap-up", (*conversations.Client).Close)
}

func (a *app) conferenceCmd() *cobra.Command {
	return a.agentOpCmd("conference", "the owner", "Start a conference (refused for outbound conversations)", (*conversations.Client).Conference)
}

func (a *app) triggerCmd() *cobra.Command {
	var id, agent, flow string
	cmd := &cobra.Command{
		Use:   "trigger --id C --agent A --flow F",
		Short: "Trigger a configured business flow from the conversation",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				status, err := c.Trigger(ctx, id, agent, flow)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, status)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "conversation id (as printed by start)")
	cmd.Flags().StringVar(&agent, "agent", "", "the owner")
	cmd.Flags().StringVar(&flow, "flow", "", "flow id from the tenant directory")
	required(cmd, "id", "agent", "flow")
	return cmd
}
