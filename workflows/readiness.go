package workflows

import (
	"errors"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
)

// availabilityView is the version from which queues route on what their
// agents report instead of asking each member on every offer
// (docs/architecture.md, "Routing"); runs started before keep the old way.
const availabilityView = "availability-view"

// readiness is whether the agent can take a conversation from a queue now
// (available, with a free slot) and since when: what its queues rank on.
func (ag *agent) readiness() api.AgentReport {
	s := ag.state
	if s.State != api.AgentAvailable || len(s.Slots) >= s.Config.MaxOutbound {
		return api.AgentReport{}
	}
	return api.AgentReport{Ready: true, Since: s.Since}
}

// reportDue is whether a queue should hear from the agent: its readiness
// moved since it last reported, or a queue asked.
func (ag *agent) reportDue() bool {
	if !ag.reports {
		return false
	}
	return len(ag.state.AskedBy) > 0 || !sameReadiness(ag.state.Reported, ag.readiness())
}

func sameReadiness(last *api.AgentReport, now api.AgentReport) bool {
	return last != nil && last.Ready == now.Ready && last.Since.Equal(now.Since)
}

// report tells the agent's queues its readiness: all of them when it moved,
// else those that asked. Reports are numbered, so a queue that gets two out
// of order keeps the later; a lost one costs at most a refused reservation
// (the queue then asks again).
func (ag *agent) report(ctx workflow.Context) {
	if !ag.reportDue() {
		return
	}
	now := ag.readiness()
	to := ag.state.AskedBy
	if !sameReadiness(ag.state.Reported, now) {
		to = ag.state.Config.Queues
	}
	ag.state.ReportSeq++
	now.Seq = ag.state.ReportSeq
	ag.state.Reported, ag.state.AskedBy = &now, nil
	word := api.QueueWaking{Agent: ag.state.Config.ID, Report: true, Ready: now.Ready, Since: now.Since, Seq: now.Seq,
		Run: workflow.GetInfo(ctx).FirstRunID}
	for _, queue := range slices.Clone(to) {
		f := api.QueueWake.External(ctx, api.QueueWorkflowID(ag.state.Config.Tenant, queue), word)
		ag.inbox.goDo(ctx, func(ctx workflow.Context) {
			var notRunning *temporal.UnknownExternalWorkflowExecutionError
			// A queue not running yet asks every member when it starts.
			if err := f.Get(ctx, nil); err != nil && !errors.As(err, &notRunning) {
				workflow.GetLogger(ctx).Error("queue not told the agent's readiness", "queue", queue, "error", err)
			}
		})
	}
}
