// Package activities holds every side effect of the service: directory checks,
// composing messages, the entity updates that need an answer, channel
// delivery and the transcript archive. An Activities value carries its
// clients; workflows refer to its methods through a nil pointer (see
// workflows/activities.go). Every exported method is an activity.
package activities

import (
	"context"

	"go.temporal.io/sdk/client"

	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/email"
	"outbound/internal/model"
	"outbound/internal/sms"
)

// EmailSender delivers one email (internal/email.Sender in production).
type EmailSender interface {
	Send(ctx context.Context, m email.Message) error
}

// SMSSender delivers one SMS (internal/sms.Client in production); the
// provider posts delivery status to statusCallback when it is set, and
// answers for a message by its sid when asked.
type SMSSender interface {
	SendWithCallback(ctx context.Context, from, to, body, idempotencyKey, statusCallback string) (sms.Sent, error)
	Status(ctx context.Context, sid string) (model.ProviderStatus, error)
}

// Activities are the service's activities with their injected clients.
type Activities struct {
	Directories map[string]*directory.Directory // by tenant
	Temporal    client.Client
	Email       EmailSender
	SMS         SMSSender
	IDKey       []byte // keys the customer hash in workflow IDs
	PublicURL   string // the gateway's public URL, for SMS status callbacks ("" = none)
	Images      ImageStore
	Archive     TranscriptArchive // older transcript pages (nil: ArchiveMessages fails, the workflow keeps them)
	Inbound     InboundRouter     // routes customer messages for their records
}

func (a *Activities) directory(tenant string) (*directory.Directory, error) {
	if d, ok := a.Directories[tenant]; ok {
		return d, nil
	}
	return nil, codes.New(codes.TaskCreationFailed, "this worker serves no tenant %q", tenant)
}

// refusal keeps a refusal that came back from another workflow non-retryable
// and typed with its code; any other error stays retryable.
func refusal(err error) error {
	if code, msg, ok := codes.Of(err); ok {
		return codes.New(code, "%s", msg)
	}
	return err
}
