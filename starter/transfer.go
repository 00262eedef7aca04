package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"outbound/internal/conversations"
)

func (a *app) transferCmd() *cobra.Command {
	var id, agent, queue, toAgent string
	cmd := &cobra.Command{
		Use:   "transfer --id C --agent A (--queue Q | --to-agent B)",
		Short: "Transfer the conversation to a queue or another agent",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, b := cmd.Flags().Changed("queue"), cmd.Flags().Changed("to-agent")
			switch {
			case q && b:
				return usagef("--queue and --to-agent cannot be used together")
			case !q && !b:
				return usagef("one of --queue or --to-agent is required")
			case queue == "" && toAgent == "":
				return usagef("the transfer target must not be empty")
			}
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				status, err := c.Transfer(ctx, id, agent, toAgent, queue)
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
	cmd.Flags().StringVar(&queue, "queue", "", "target queue")
	cmd.Flags().StringVar(&toAgent, "to-agent", "", "target agent")
	required(cmd, "id", "agent")
	return cmd
}

func (a *app) acceptCmd() *cobra.Command {
	return a.agentOpCmd("accept", "the agent taking the conversation", "Accept a transfer offer or take a queued conversation", (*conversations.Client).Accept)
}

func (a *app) declineCmd() *cobra.Command {
	return a.agentOpCmd("decline", "the agent the offer was made to", "Decline a transfer offer", (*conversations.Client).Decline)
}

func (a *app) wrapUpCmd() *cobra.Command {
	var id, agent, reason string
	cmd := &cobra.Command{
		Use:   "wrapup --id C --agent A --reason R",
		Short: "End the agent's wrap-up of the conversation with a reason",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				if err := c.WrapUp(ctx, id, agent, reason); err != nil {
					return err
				}
				// WrapUp answers nothing: the status is the conversation's.
				state, err := c.Show(ctx, id)
				if err != nil && !errors.Is(err, conversations.ErrArchiveUnavailable) { // the status is known
					fmt.Fprintf(a.stderr, "warning: wrap-up done, but the conversation status is unavailable: %v\n", err)
					return nil
				}
				fmt.Fprintln(a.stdout, state.Status)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "conversation id (as printed by start)")
	cmd.Flags().StringVar(&agent, "agent", "", "the agent in wrap-up")
	cmd.Flags().StringVar(&reason, "reason", "", "wrap-up reason from the tenant's list")
	required(cmd, "id", "agent", "reason")
	return cmd
}
