package activities

import (
	"context"
	"errors"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
)

// Reserve takes a slot on an agent for a start, a transfer offer or a queue
// pickup. The Agent workflow decides atomically (its handlers run one at a
// time), which is what makes rule 7 hold under concurrent starts.
func (a *Activities) Reserve(ctx context.Context, req model.OfferRequest) error {
	dir, err := a.directory(req.Tenant)
	if err != nil {
		return err
	}
	cfg, err := a.agentOf(dir, req.Agent, req.Kind)
	if err != nil {
		return err
	}
	if req.Queue != "" && !slices.Contains(queueMembers(dir, req.Queue), req.Agent) {
		return codes.New(codes.NoPendingOffer, "%s is not in queue %s", req.Agent, req.Queue)
	}
	return a.updateAgent(ctx, cfg, model.OpReserve, model.ReserveRequest{
		Conversation: req.Conversation, Kind: req.Kind, Config: cfg, OnlyAvailable: req.OnlyAvailable,
	}, nil)
}

// TransferOut marks the owner as transferring this conversation (rule 18) and
// starts its wrap-up; refused with TRANSFER_PENDING while another is pending.
func (a *Activities) TransferOut(ctx context.Context, tenant, agent string, req model.TransferOutRequest) error {
	dir, err := a.directory(tenant)
	if err != nil {
		return err
	}
	cfg, err := a.agentOf(dir, agent, model.ReserveStart)
	if err != nil {
		return err
	}
	return a.updateAgent(ctx, cfg, model.OpTransferOut, req, nil)
}

// OpenCustomer registers the conversation in the customer's record: refuses a
// reused email subject (rule 11) and returns the previous context (rule 16).
func (a *Activities) OpenCustomer(ctx context.Context, req model.CustomerOpenRequest) (model.CustomerContext, error) {
	var out model.CustomerContext
	start := a.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       model.CustomerWorkflowID(req.Tenant, req.Key),
		TaskQueue:                model.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, model.CustomerWorkflow, model.CustomerState{Tenant: req.Tenant, Key: req.Key})
	err := a.updateWithStart(ctx, start, model.OpCustomerOpen, req, &out)
	return out, err
}

// RankQueue lists a queue's agents that can take an offer now, longest
// available first (rule 17's "current availability").
func (a *Activities) RankQueue(ctx context.Context, req model.RankRequest) ([]string, error) {
	dir, err := a.directory(req.Tenant)
	if err != nil {
		return nil, err
	}
	if _, ok := dir.Queue(req.Queue); !ok {
		return nil, codes.New(codes.UnknownQueue, "no queue %q", req.Queue)
	}
	var ready []model.AgentState
	for _, id := range queueMembers(dir, req.Queue) {
		if slices.Contains(req.Exclude, id) {
			continue
		}
		st, err := a.AgentState(ctx, req.Tenant, id)
		if err != nil {
			return nil, err
		}
		if st.State == model.AgentAvailable && len(st.Slots) < st.Config.MaxOutbound {
			ready = append(ready, st)
		}
	}
	slices.SortStableFunc(ready, func(x, y model.AgentState) int {
		if c := x.Since.Compare(y.Since); c != 0 {
			return c
		}
		return strings.Compare(x.Config.ID, y.Config.ID)
	})
	ids := make([]string, len(ready))
	for i, st := range ready {
		ids[i] = st.Config.ID
	}
	return ids, nil
}

// AgentState queries an agent's workflow; an agent that never worked yet is
// available with every slot free.
func (a *Activities) AgentState(ctx context.Context, tenant, agent string) (model.AgentState, error) {
	var st model.AgentState
	resp, err := a.Temporal.QueryWorkflow(ctx, model.AgentWorkflowID(tenant, agent), "", model.QueryState)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		dir, derr := a.directory(tenant)
		if derr != nil {
			return st, derr
		}
		cfg, cerr := a.agentOf(dir, agent, model.ReserveStart)
		return model.AgentState{Config: cfg, State: model.AgentAvailable}, cerr
	}
	if err != nil {
		return st, err
	}
	return st, resp.Get(&st)
}

// agentOf reads an agent's configuration; an unknown target of an offer is
// unavailable rather than unknown, as the desktop list would show it.
func (a *Activities) agentOf(dir *directory.Directory, agent, kind string) (model.AgentConfig, error) {
	ag, ok := dir.Agent(agent)
	if !ok {
		return model.AgentConfig{}, codes.New(codes.UnknownAgent, "no agent %q in tenant %s", agent, dir.Tenant)
	}
	profile, _ := dir.Profile(ag.Profile)
	return model.AgentConfig{Tenant: dir.Tenant, ID: ag.ID, Name: ag.Name, MaxOutbound: profile.MaxOutbound}, nil
}

// updateAgent sends an update to an agent's workflow, starting it if needed.
func (a *Activities) updateAgent(ctx context.Context, cfg model.AgentConfig, name string, arg, out any) error {
	start := a.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       model.AgentWorkflowID(cfg.Tenant, cfg.ID),
		TaskQueue:                model.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, model.AgentWorkflow, model.AgentInput{Config: cfg})
	return a.updateWithStart(ctx, start, name, arg, out)
}

func (a *Activities) updateWithStart(ctx context.Context, start client.WithStartWorkflowOperation, name string, arg, out any) error {
	handle, err := a.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   name,
			Args:         []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return refusal(err)
	}
	return refusal(handle.Get(ctx, out))
}

func queueMembers(dir *directory.Directory, queue string) []string {
	q, _ := dir.Queue(queue)
	return q.Agents
}
