package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"outbound/internal/api"
	"outbound/internal/conversations"
)

func (a *app) agentsCmd() *cobra.Command {
	var queue string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "agents [--queue Q] [--json]",
		Short: "List agents with their current state and outbound capacity (run again to reload)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("queue") && queue == "" {
				return usagef("--queue must not be empty")
			}
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				agents, err := c.Agents(ctx, queue)
				if err != nil {
					return err
				}
				if asJSON {
					if agents == nil {
						agents = []conversations.AgentInfo{}
					}
					return writeJSON(a.json, agents)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tSTATE\tIN USE/MAX\tQUEUES")
				for _, ag := range agents {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\n", ag.ID, ag.Name, ag.State, ag.InUse, ag.Max, orDash(strings.Join(ag.Queues, ",")))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&queue, "queue", "", "only the agents of this queue")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

func (a *app) queuesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "queues [--json]",
		Short: "List queues: their waiting conversations (in --json, oldest first) and their agents' availability",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				queues, err := c.Queues(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					if queues == nil {
						queues = []conversations.QueueInfo{}
					}
					return writeJSON(a.json, queues)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tWAITING\tLONGEST WAIT\tAVAILABLE\tAGENTS")
				for _, q := range queues {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d/%d\t%s\n", q.ID, q.Name, len(q.Waiting), longestWait(q.Waiting),
						q.Available, len(q.Agents), orDash(agentStates(q.Agents)))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

func (a *app) agentStateCmd() *cobra.Command {
	var agent, state string
	cmd := &cobra.Command{
		Use:   "agent-state --agent A --state available|idle|rona",
		Short: "Set an agent's state; prints it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := oneOf("state", state, api.AgentAvailable, api.AgentIdle, api.AgentRONA); err != nil {
				return err
			}
			return a.withClient(cmd, func(ctx context.Context, c *conversations.Client) error {
				if err := c.SetAgentState(ctx, agent, state); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, state)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&agent, "agent", "", "agent id")
	cmd.Flags().StringVar(&state, "state", "", "available, idle or rona")
	required(cmd, "agent", "state")
	return cmd
}

// longestWait is how long the first in the line has waited, to the second
// ("-": none waits).
func longestWait(line []conversations.WaitingInfo) string {
	if len(line) == 0 {
		return "-"
	}
	return time.Since(line[0].Since).Round(time.Second).String()
}

// agentStates is "alice:available,bob:idle".
func agentStates(agents []conversations.AgentInfo) string {
	parts := make([]string, len(agents))
	for i, ag := range agents {
		parts[i] = ag.ID + ":" + ag.State
	}
	return strings.Join(parts, ",")
}
