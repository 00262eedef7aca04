package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"outbound/internal/archive"
	"outbound/internal/codec"
	"outbound/internal/model"
)

func archiveRequest(page int) model.ArchiveRequest {
	return model.ArchiveRequest{Tenant: "acme", Conversation: conv, Page: page, Messages: []model.Message{
		{ID: "m1", Direction: model.Outbound, Agent: "alice", Text: "hello", Status: model.MessageSent, At: time.Now().UTC()},
	}}
}

// runArchive runs ArchiveMessages as the worker would (registered, its
// input and answer through the data converter).
func runArchive(t *testing.T, a *Activities, req model.ArchiveRequest) (model.ArchivePage, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	val, err := env.ExecuteActivity(a.ArchiveMessages, req)
	var page model.ArchivePage
	if err == nil {
		err = val.Get(&page)
	}
	return page, err
}

func nonRetryable(t *testing.T, err error, typ string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != typ || !appErr.NonRetryable() {
		t.Fatalf("err = %v, want a non-retryable %s", err, typ)
	}
}

func TestArchiveMessagesNotConfigured(t *testing.T) {
	_, err := runArchive(t, &Activities{}, archiveRequest(0))
	nonRetryable(t, err, ArchiveNotConfigured)
}

type failingArchive struct{ err error }

func (f failingArchive) Save(context.Context, model.ArchiveRequest) (model.ArchivePage, error) {
	return model.ArchivePage{}, f.err
}

func TestArchiveMessagesFailures(t *testing.T) {
	_, err := runArchive(t, &Activities{Archive: failingArchive{errors.New("S3 is down")}}, archiveRequest(0))
	var appErr *temporal.ApplicationError
	if err == nil || (errors.As(err, &appErr) && appErr.NonRetryable()) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
}

func TestArchiveMessagesOnFakeS3(t *testing.T) {
	_, store := fakeS3(t)
	arch, err := archive.New(store, codec.DevKeys())
	if err != nil {
		t.Fatal(err)
	}
	a := &Activities{Archive: arch}
	page, err := runArchive(t, a, archiveRequest(3))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := archive.Key("acme", conv, 3); page.Key != want || page.Messages != 1 {
		t.Fatalf("page = %+v, want key %s and 1 message", page, want)
	}
	msgs, err := arch.Load(context.Background(), page)
	if err != nil || len(msgs) != 1 || msgs[0].Text != "hello" {
		t.Fatalf("Load = %v, %v", msgs, err)
	}

	_, err = runArchive(t, a, model.ArchiveRequest{Tenant: "acme", Conversation: conv})
	nonRetryable(t, err, ArchiveBadRequest)
}
