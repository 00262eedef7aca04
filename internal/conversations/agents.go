package conversations

import (
	"context"
	"errors"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

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

// QueueInfo is one queue with how many of its agents can take work now.
type QueueInfo struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Agents    []string `json:"agents"`
	Available int      `json:"available"`
}

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
		st, err := c.agentState(ctx, dir.Tenant, ag.ID)
		if err != nil {
			return nil, err
		}
		profile, _ := dir.Profile(ag.Profile)
		out = append(out, AgentInfo{ID: ag.ID, Name: ag.Name, State: st.State, InUse: len(st.Slots), Max: profile.MaxOutbound, Queues: queues})
	}
	return out, nil
}

// Queues lists the tenant's queues.
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
		info := QueueInfo{ID: q.ID, Name: q.Name, Agents: q.Agents}
		for _, a := range agents {
			if slices.Contains(q.Agents, a.ID) && a.State == model.AgentAvailable && a.InUse < a.Max {
				info.Available++
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// SetAgentState sets an agent available, idle or RONA.
func (c *Client) SetAgentState(ctx context.Context, agent, state string) error {
	dir, err := c.Directory(ctx)
	if err != nil {
		return err
	}
	ag, ok := dir.Agent(agent)
	if !ok {
		return codes.New(codes.UnknownAgent, "no agent %q in tenant %s", agent, dir.Tenant)
	}
	profile, _ := dir.Profile(ag.Profile)
	cfg := model.AgentConfig{Tenant: dir.Tenant, ID: ag.ID, Name: ag.Name, MaxOutbound: profile.MaxOutbound}
	start := c.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       model.AgentWorkflowID(dir.Tenant, agent),
		TaskQueue:                model.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, model.AgentWorkflow, model.AgentInput{Config: cfg})
	handle, err := c.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   model.OpSetState,
			Args:         []any{model.SetStateRequest{State: state, Config: cfg}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return translate(err)
	}
	return translate(handle.Get(ctx, nil))
}

// agentState queries an agent; one that never worked yet is available.
func (c *Client) agentState(ctx context.Context, tenant, agent string) (model.AgentState, error) {
	var st model.AgentState
	resp, err := c.Temporal.QueryWorkflow(ctx, model.AgentWorkflowID(tenant, agent), "", model.QueryState)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return model.AgentState{State: model.AgentAvailable}, nil
	}
	if err != nil {
		return st, err
	}
	return st, resp.Get(&st)
}

func queueIDs(qs []directory.Queue) []string {
	ids := make([]string, len(qs))
	for i, q := range qs {
		ids[i] = q.ID
	}
	return ids
}
