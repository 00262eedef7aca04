package tests

import (
	"context"
	"testing"
	"time"

	"outbound/internal/conversations"
	"outbound/internal/model"
)

func TestSmoke(t *testing.T) {
	c := env.Tenant(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := c.Start(ctx, conversations.StartOptions{Agent: "alice", Channel: "sms", To: "+14155550199", EntryPoint: "ep-sms", First: &model.Compose{Text: "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(id)
	res, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: "how can I help?"})
	t.Log(res, err)
	_, err = c.Reply(ctx, conversations.Sync, id, "my order")
	st, err := c.Show(ctx, id)
	t.Logf("%+v %v", st, err)
}
