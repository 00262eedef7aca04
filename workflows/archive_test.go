package workflows

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"outbound/internal/api"
	"outbound/internal/model"
)

// longConversation runs a conversation that receives n replies at once and
// then reaches its history limit, with archive answering ArchiveMessages.
func longConversation(t *testing.T, n int, archive func(model.ArchiveRequest) (model.ArchivePage, error)) (*harness, []model.ArchiveRequest) {
	h := newHarness(t)
	var mu sync.Mutex
	var pages []model.ArchiveRequest
	h.env.OnActivity(a.ArchiveMessages, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req model.ArchiveRequest) (model.ArchivePage, error) {
			mu.Lock()
			pages = append(pages, req)
			mu.Unlock()
			return archive(req)
		})
	start := smsStart()
	start.ContinueAsNewAfter = 30
	for first := 0; first < n; first += 100 { // the test environment queues at most ~1000 callbacks
		h.at(time.Minute+time.Duration(first)*time.Millisecond, func() {
			for i := first; i < min(first+100, n); i++ {
				h.env.SignalWorkflowSkippingWorkflowTask(string(api.ConversationReplySignal), reply(fmt.Sprintf("reply %d", i))(h.convID))
			}
		})
	}
	h.at(2*time.Minute, func() {
		h.env.SetCurrentHistoryLength(31)
		h.env.SignalWorkflow(string(api.ConversationReplySignal), reply("last")(h.convID))
	})
	h.endAt(time.Hour) // must not be reached
	h.startConversation(start)
	return h, pages
}

func storePage(req model.ArchiveRequest) (model.ArchivePage, error) {
	return model.ArchivePage{Key: fmt.Sprintf("page-%d", req.Page), Messages: len(req.Messages)}, nil
}

// A long conversation carries only the last messages into the next run; the
// older ones are archived in order, every message exactly once.
func TestContinueAsNewArchivesOlderMessages(t *testing.T) {
	h, pages := longConversation(t, 1200, storePage)

	st := requireContinuedActive(t, h)
	total := 1 + 1200 + 1 // the first message, the replies, "last"
	// A message may land while the archive is written: it is carried too.
	require.GreaterOrEqual(t, len(st.Messages), keepMessages, "the carried tail")
	require.LessOrEqual(t, len(st.Messages), keepMessages+1, "the carried tail")
	require.Equal(t, fmt.Sprintf("m%d", total), st.Messages[len(st.Messages)-1].ID)
	var archived []model.Message
	for i, p := range pages {
		require.Equal(t, i, p.Page)
		require.Equal(t, h.convID, p.Conversation)
		require.LessOrEqual(t, len(p.Messages), pageMessages)
		require.Equal(t, model.ArchivePage{Key: fmt.Sprintf("page-%d", i), Messages: len(p.Messages)}, st.Archived[i])
		archived = append(archived, p.Messages...)
	}
	require.Equal(t, len(pages), len(st.Archived))
	all := append(archived, st.Messages...)
	require.Equal(t, total, len(all))
	for i, m := range all {
		require.Equal(t, fmt.Sprintf("m%d", i+1), m.ID, "archived and carried messages are in order, none twice")
	}
}

// Without an archive (or with its store failing) the messages stay in the
// state and the conversation continues as new all the same.
func TestContinueAsNewKeepsMessagesTheArchiveRefused(t *testing.T) {
	h, pages := longConversation(t, 450, func(model.ArchiveRequest) (model.ArchivePage, error) {
		return model.ArchivePage{}, temporal.NewNonRetryableApplicationError("no archive", "ARCHIVE_NOT_CONFIGURED", nil)
	})

	st := requireContinuedActive(t, h)
	require.Equal(t, 1, len(pages), "one attempt per run")
	require.Equal(t, 1+450+1, len(st.Messages))
	require.Empty(t, st.Archived)
}

func TestPagesSplitByCountAndSize(t *testing.T) {
	small := make([]model.Message, 1100)
	require.Equal(t, []int{500, 500, 100}, pageSizes(pages(small)))
	big := make([]model.Message, 10)
	for i := range big {
		big[i].HTML = strings.Repeat("x", 200<<10)
	}
	require.Equal(t, []int{2, 2, 2, 2, 2}, pageSizes(pages(big)))
	huge := []model.Message{{HTML: strings.Repeat("x", 1<<20)}}
	require.Equal(t, []int{1}, pageSizes(pages(huge)), "a message larger than a page is a page of its own")
}

func pageSizes(ps [][]model.Message) []int {
	var n []int
	for _, p := range ps {
		n = append(n, len(p))
	}
	return n
}
