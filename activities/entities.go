package activities

import (
	"context"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
)

// Reserve takes a slot on an agent for a start, a transfer offer or a queue
// pickup. The Agent workflow decides atomically, which is what makes rule 7
// hold under concurrent starts.
func (a *Activities) Reserve(ctx context.Context, req api.ReserveRequest) error {
	dir, err := a.directory(req.Tenant)
	if err != nil {
		return err
	}
	if req.Config, err = api.AgentConfigFrom(dir, req.Agent); err != nil {
		return err
	}
	if req.Queue != "" && !slices.Contains(queueMembers(dir, req.Queue), req.Agent) {
		return codes.New(codes.NoPendingOffer, "%s is not in queue %s", req.Agent, req.Queue)
	}
	_, err = api.UpdateAgent(ctx, a.Temporal, req.Config, api.AgentReserve, req)
	return refusal(err)
}

// TransferOut marks the owner as transferring this conversation (rule 18) and
// starts its wrap-up; refused with TRANSFER_PENDING while another is pending.
func (a *Activities) TransferOut(ctx context.Context, tenant, agent string, req api.LeaveRequest) error {
	dir, err := a.directory(tenant)
	if err != nil {
		return err
	}
	cfg, err := api.AgentConfigFrom(dir, agent)
	if err != nil {
		return err
	}
	// req.RequestID is the same in every attempt: a retry after the update
	// landed (the worker died before it heard) gets the first answer.
	_, err = api.UpdateAgent(ctx, a.Temporal, cfg, api.AgentTransferOut, req)
	return refusal(err)
}

// OpenCustomer registers the conversation in the customer's record: refuses a
// reused email subject (rule 11) or an opted-out number, and returns the
// previous conversation's context (rule 16).
func (a *Activities) OpenCustomer(ctx context.Context, req api.CustomerOpenRequest) (api.CustomerContext, error) {
	out, err := api.OpenCustomer(ctx, a.Temporal, req)
	return out, refusal(err)
}

// Enqueue puts a conversation in its queue's line (the queue's workflow starts
// on its first conversation), where the queue offers it to the queue's agents.
func (a *Activities) Enqueue(ctx context.Context, tenant, queue string, w api.Waiting) error {
	dir, err := a.directory(tenant)
	if err != nil {
		return err
	}
	cfg, err := api.QueueConfigFrom(dir, queue)
	if err != nil {
		return err
	}
	return api.EnqueueConversation(ctx, a.Temporal, cfg, w)
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
	members := slices.DeleteFunc(slices.Clone(queueMembers(dir, req.Queue)), func(id string) bool {
		return slices.Contains(req.Exclude, id)
	})
	states := make([]api.AgentState, len(members))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16) // a queue may have thousands of agents
	for i, id := range members {
		g.Go(func() error {
			cfg, err := api.AgentConfigFrom(dir, id)
			if err == nil {
				states[i], err = api.GetAgent(gctx, a.Temporal, cfg)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	ready := slices.DeleteFunc(states, func(st api.AgentState) bool {
		return st.State != api.AgentAvailable || len(st.Slots) >= st.Config.MaxOutbound
	})
	slices.SortStableFunc(ready, func(x, y api.AgentState) int {
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

func queueMembers(dir *directory.Directory, queue string) []string {
	q, _ := dir.Queue(queue)
	return q.Agents
}
