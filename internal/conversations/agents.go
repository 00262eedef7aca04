package conversations

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.temporal.io/api/serviceerror"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
)

// AgentInfo is one line of the availability list (rule 17).
type AgentInfo struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	State  string   `json:"state"`
	InUse  int      `json:"outboundInUse"`
	Max    int      `json:"outboundMax"`
	Queues []string `json:"queues"`
}

// QueueInfo is one queue: its line of waiting conversations, oldest first, and
// its agents with how many of them can take work now.
type QueueInfo struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Waiting   []WaitingInfo `json:"waiting"`
	Agents    []AgentInfo   `json:"agents"`
	Available int           `json:"available"`
}

// WaitingInfo is a conversation in a queue's line.
type WaitingInfo struct {
	ID        string        `json:"id"`
	Since     time.Time     `json:"since"`
	Channel   model.Channel `json:"channel"`
	OfferedTo string        `json:"offeredTo,omitempty"` // the agent its offer is out to
}

// CanTake reports whether the agent can be offered a conversation now.
func (a AgentInfo) CanTake() bool { return a.State == api.AgentAvailable && a.InUse < a.Max }

// Agents lists the tenant's agents (of one queue, if given) with their current
// state and capacity; calling it again is the reload.
func (c *Client) Agents(ctx context.Context, queue string) ([]AgentInfo, error) {
	dir, err := c.Directory(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := dir.Queue(queue); queue != "" && !ok {
		return nil, codes.New(codes.UnknownQueue, "no queue %q", queue)
	}
	var out []AgentInfo
	for _, ag := range dir.Agents {
		queues := queueIDs(dir.QueuesOf(ag.ID))
		if queue != "" && !slices.Contains(queues, queue) {
			continue
		}
		cfg, err := api.AgentConfigFrom(&dir, ag.ID)
		if err != nil {
			return nil, err
		}
		st, err := api.GetAgent(ctx, c.Temporal, cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, AgentInfo{ID: ag.ID, Name: ag.Name, State: st.State, InUse: len(st.Slots), Max: cfg.MaxOutbound, Queues: queues})
	}
	return out, nil
}

// Queues lists the tenant's queues with what waits in them and who could
// take it.
func (c *Client) Queues(ctx context.Context) ([]QueueInfo, error) {
	agents, err := c.Agents(ctx, "")
	if err != nil {
		return nil, err
	}
	dir, err := c.Directory(ctx)
	if err != nil {
		return nil, err
	}
	var out []QueueInfo
	for _, q := range dir.Queues {
		info := QueueInfo{ID: q.ID, Name: q.Name, Waiting: []WaitingInfo{}, Agents: []AgentInfo{}}
		if info.Waiting, err = c.Waiting(ctx, dir.Tenant, q.ID); err != nil {
			return nil, err
		}
		for _, a := range agents {
			if slices.Contains(q.Agents, a.ID) {
				info.Agents = append(info.Agents, a)
				if a.CanTake() {
					info.Available++
				}
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// Waiting reads a queue's line from its workflow (none yet: nothing waits).
func (c *Client) Waiting(ctx context.Context, tenant, queue string) ([]WaitingInfo, error) {
	st, err := api.QueueQuery.Get(ctx, c.Temporal, api.QueueWorkflowID(tenant, queue))
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return []WaitingInfo{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]WaitingInfo, len(st.Waiting))
	for i, w := range st.Waiting {
		out[i] = WaitingInfo{ID: w.Conversation, Since: w.Since, Channel: w.Channel, OfferedTo: w.OfferedTo}
	}
	return out, nil
}

// SetAgentState sets an agent available, idle or RONA.
func (c *Client) SetAgentState(ctx context.Context, agent, state string) error {
	dir, err := c.Directory(ctx)
	if err != nil {
		return err
	}
	cfg, err := api.AgentConfigFrom(&dir, agent)
	if err != nil {
		return err
	}
	req := api.SetStateRequest{State: state, Config: cfg, Request: request(ctx)}
	_, err = retry(ctx, req.ID(), func(ctx context.Context) (int, error) {
		return api.UpdateAgent(ctx, c.Temporal, cfg, api.AgentSetState, req)
	})
	return translate(err)
}

func queueIDs(qs []directory.Queue) []string {
	ids := make([]string, len(qs))
	for i, q := range qs {
		ids[i] = q.ID
	}
	return ids
}
