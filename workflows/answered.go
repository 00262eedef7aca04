package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
)

// maxAnswered bounds the answers a workflow keeps for retries, besides their
// age (api.RetryWindow): a busy conversation carries at most this many over
// continue-as-new.
const maxAnswered = 500

// once acts on request id once: a retry of it (the same id, in a later run
// too) gets the first answer and changes nothing. A refusal is not kept: it
// changed nothing, so a retry is checked anew.
func once[Res any](ctx workflow.Context, answered *[]api.Answered, id string, act func() (Res, error)) (Res, error) {
	if res, ok := recall[Res](*answered, id); ok {
		return res, nil
	}
	res, err := act()
	if err == nil {
		remember(ctx, answered, id, res)
	}
	return res, err
}

// unlessAnswered is the validator check, except for the retry of a request
// acted on: it goes through to its first answer whatever has changed since.
func unlessAnswered[Req interface{ ID() string }](answered *[]api.Answered, check func(Req) error) func(Req) error {
	return func(req Req) error {
		if seen(*answered, req.ID()) {
			return nil
		}
		return check(req)
	}
}

// seen reports whether request id was acted on.
func seen(answered []api.Answered, id string) bool {
	return id != "" && slices.ContainsFunc(answered, func(a api.Answered) bool { return a.RequestID == id })
}

func recall[Res any](answered []api.Answered, id string) (Res, bool) {
	var res Res
	i := slices.IndexFunc(answered, func(a api.Answered) bool { return a.RequestID == id })
	if id == "" || i < 0 {
		return res, false
	}
	a := answered[i]
	switch r := any(&res).(type) {
	case *api.MessageResult:
		if a.Message != nil {
			*r = *a.Message
		}
	case *string:
		*r = a.Status
	case *int:
		*r = a.Slots
	}
	return res, true
}

// remember keeps the answer to request id, and forgets the answers older than
// the retry window or past maxAnswered.
func remember(ctx workflow.Context, answered *[]api.Answered, id string, answer any) {
	if id == "" {
		return
	}
	now := workflow.Now(ctx)
	kept := slices.DeleteFunc(*answered, func(a api.Answered) bool { return now.Sub(a.At) > api.RetryWindow })
	if len(kept) >= maxAnswered {
		kept = slices.Delete(kept, 0, len(kept)-maxAnswered+1)
	}
	a := api.Answered{RequestID: id, At: now}
	switch v := answer.(type) {
	case api.MessageResult:
		a.Message = &v
	case string:
		a.Status = v
	case int:
		a.Slots = v
	}
	*answered = append(kept, a)
}
