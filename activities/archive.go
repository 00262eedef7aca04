package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"outbound/internal/archive"
	"outbound/internal/model"
)

// Error types of ArchiveMessages' non-retryable failures: the workflow then
// keeps its messages in its state.
const (
	ArchiveNotConfigured = "ARCHIVE_NOT_CONFIGURED"
	ArchiveBadRequest    = "ARCHIVE_BAD_REQUEST"
)

// TranscriptArchive stores pages of a transcript out of the workflow state
// (internal/archive.Store in production). Save writes a page at a key fixed
// by tenant, conversation and page, so a retried Save overwrites its page.
type TranscriptArchive interface {
	Save(ctx context.Context, req model.ArchiveRequest) (model.ArchivePage, error)
}

// ArchiveMessages stores one page of a conversation's older messages,
// encrypted, and answers where it is. A failed write is retried; a request
// that can never be stored, or a worker without an archive, fails for good.
func (a *Activities) ArchiveMessages(ctx context.Context, req model.ArchiveRequest) (model.ArchivePage, error) {
	if a.Archive == nil {
		return model.ArchivePage{}, temporal.NewNonRetryableApplicationError(
			"this worker has no transcript archive (configure the S3 bucket: S3_BUCKET and the other S3_* settings); the conversation keeps its messages",
			ArchiveNotConfigured, nil)
	}
	page, err := a.Archive.Save(ctx, req)
	if errors.Is(err, archive.ErrInvalid) {
		return model.ArchivePage{}, temporal.NewNonRetryableApplicationError(err.Error(), ArchiveBadRequest, nil)
	}
	return page, err
}
