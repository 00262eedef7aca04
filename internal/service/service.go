// Package service wires the workflows and activities into a Temporal worker
// and publishes the tenant directories; worker --dev, the production worker
// and the integration tests all run it the same way.
package service

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"outbound/activities"
	"outbound/internal/directory"
	"outbound/internal/model"
	"outbound/workflows"
)

// WorkerOptions are the worker's settings (the benchmark's baseline uses the
// same). Every message is a workflow task, so a task waiting for one of the
// SDK's default 2 pollers was the largest part of a send's latency under load
// (bench/RESULTS.md); 8 pollers halved that wait.
func WorkerOptions() worker.Options {
	return worker.Options{MaxConcurrentWorkflowTaskPollers: 8, MaxConcurrentActivityTaskPollers: 4}
}

// NewWorker registers every workflow and activity on the service's task queue.
func NewWorker(c client.Client, acts *activities.Activities) worker.Worker {
	w := worker.New(c, model.TaskQueue, WorkerOptions())
	RegisterWorkflows(w)
	w.RegisterActivity(acts)
	return w
}

// RegisterWorkflows registers the workflows under their stable names; the
// replay tests register them the same way.
func RegisterWorkflows(r interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}) {
	r.RegisterWorkflowWithOptions(workflows.Conversation, workflow.RegisterOptions{Name: model.ConversationWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Agent, workflow.RegisterOptions{Name: model.AgentWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Customer, workflow.RegisterOptions{Name: model.CustomerWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Directory, workflow.RegisterOptions{Name: model.DirectoryWorkflow})
}

// Publish makes the directories visible to clients (agents and queues lists)
// and refreshes every agent's name and outbound limit.
func Publish(ctx context.Context, c client.Client, dirs map[string]*directory.Directory) error {
	byTenant := map[string]directory.Directory{}
	for name, d := range dirs {
		byTenant[name] = *d
	}
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       model.DirectoryWorkflowID,
		TaskQueue:                model.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, model.DirectoryWorkflow, byTenant)
	if err := updateWithStart(ctx, c, start, model.OpPublish, byTenant); err != nil {
		return fmt.Errorf("publish directories: %w", err)
	}
	for _, d := range dirs {
		for _, ag := range d.Agents {
			profile, _ := d.Profile(ag.Profile)
			cfg := model.AgentConfig{Tenant: d.Tenant, ID: ag.ID, Name: ag.Name, MaxOutbound: profile.MaxOutbound}
			start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
				ID:                       model.AgentWorkflowID(d.Tenant, ag.ID),
				TaskQueue:                model.TaskQueue,
				WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			}, model.AgentWorkflow, model.AgentInput{Config: cfg})
			if err := updateWithStart(ctx, c, start, model.OpConfigure, cfg); err != nil {
				return fmt.Errorf("configure agent %s/%s: %w", d.Tenant, ag.ID, err)
			}
		}
	}
	return nil
}

func updateWithStart(ctx context.Context, c client.Client, start client.WithStartWorkflowOperation, name string, arg any) error {
	handle, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   name,
			Args:         []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return err
	}
	return handle.Get(ctx, nil)
}
