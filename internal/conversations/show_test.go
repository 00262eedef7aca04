package conversations

import (
	"context"
	"errors"
	"testing"

	"outbound/internal/api"
	"outbound/internal/model"
)

// pages is an Archive of transcript pages over a map.
type pages map[string][]model.Message

func (p pages) LoadBody(context.Context, string) (model.MessageBody, error) {
	return model.MessageBody{}, errors.New("no bodies")
}

func (p pages) SaveBody(context.Context, string, string, model.MessageBody) (string, error) {
	return "", errors.New("no bodies")
}

func (p pages) Load(_ context.Context, page model.ArchivePage) ([]model.Message, error) {
	msgs, ok := p[page.Key]
	if !ok {
		return nil, errors.New("no such object")
	}
	return msgs, nil
}

func ids(msgs []model.Message) string {
	s := ""
	for _, m := range msgs {
		s += m.ID + " "
	}
	return s
}

func TestUnarchive(t *testing.T) {
	archived := []model.ArchivePage{{Key: "p0", Messages: 2}, {Key: "p1", Messages: 1}}
	carried := func() api.ConversationState {
		return api.ConversationState{Archived: archived, Messages: []model.Message{{ID: "m4"}, {ID: "m5"}}}
	}
	store := pages{"p0": {{ID: "m1"}, {ID: "m2"}}, "p1": {{ID: "m3"}}}

	st := carried()
	if err := (&Client{Archive: store}).unarchive(context.Background(), &st); err != nil {
		t.Fatal(err)
	}
	if got := ids(st.Messages); got != "m1 m2 m3 m4 m5 " {
		t.Fatalf("transcript %s, want m1..m5 in order", got)
	}
	if len(st.Archived) != 2 {
		t.Fatal("Archived was dropped: callers can no longer see the transcript was paged")
	}

	st = carried()
	if err := (&Client{}).unarchive(context.Background(), &st); !errors.Is(err, ErrArchiveUnavailable) {
		t.Fatalf("no reader: err = %v", err)
	}
	if got := ids(st.Messages); got != "m4 m5 " {
		t.Fatalf("no reader: transcript %s, want the carried messages", got)
	}

	st = carried()
	delete(store, "p1")
	if err := (&Client{Archive: store}).unarchive(context.Background(), &st); err == nil || ids(st.Messages) != "m4 m5 " {
		t.Fatalf("missing page: err = %v, transcript %s", err, ids(st.Messages))
	}

	st = api.ConversationState{Messages: []model.Message{{ID: "m1"}}}
	if err := (&Client{}).unarchive(context.Background(), &st); err != nil || ids(st.Messages) != "m1 " {
		t.Fatalf("nothing archived: err = %v, transcript %s", err, ids(st.Messages))
	}
}
