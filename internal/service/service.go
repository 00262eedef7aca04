// Package service wires the workflows and activities into a Temporal worker
// and publishes the tenant directories; the dev stack, the production worker
// and the integration tests all run it the same way.
package service

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"outbound/activities"
	"outbound/internal/api"
	"outbound/internal/directory"
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
	w := worker.New(c, api.TaskQueue, WorkerOptions())
	RegisterWorkflows(w)
	w.RegisterActivity(acts)
	return w
}

// RegisterWorkflows registers the workflows under their contract names; the
// replay tests register them the same way.
func RegisterWorkflows(r interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}) {
	r.RegisterWorkflowWithOptions(workflows.Conversation, workflow.RegisterOptions{Name: api.ConversationWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Agent, workflow.RegisterOptions{Name: api.AgentWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Customer, workflow.RegisterOptions{Name: api.CustomerWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Directory, workflow.RegisterOptions{Name: api.DirectoryWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Queue, workflow.RegisterOptions{Name: api.QueueWorkflow})
}

// Publish makes the directories visible to clients (agents and queues lists)
// and gives every agent's and queue's workflow its directory entry (name,
// outbound limit; members): a queue whose members changed offers what waits
// in it to the new ones.
func Publish(ctx context.Context, c client.Client, dirs map[string]*directory.Directory) error {
	byTenant := map[string]directory.Directory{}
	for name, d := range dirs {
		byTenant[name] = *d
	}
	if err := api.PublishDirectories(ctx, c, byTenant); err != nil {
		return fmt.Errorf("publish directories: %w", err)
	}
	for _, d := range dirs {
		for _, ag := range d.Agents {
			cfg, err := api.AgentConfigFrom(d, ag.ID)
			if err == nil {
				err = api.ConfigureAgent(ctx, c, cfg)
			}
			if err != nil {
				return fmt.Errorf("configure agent %s/%s: %w", d.Tenant, ag.ID, err)
			}
		}
		for _, q := range d.Queues {
			cfg, err := api.QueueConfigFrom(d, q.ID)
			if err == nil {
				err = api.ConfigureQueue(ctx, c, cfg)
			}
			if err != nil {
				return fmt.Errorf("configure queue %s/%s: %w", d.Tenant, q.ID, err)
			}
		}
	}
	return nil
}
