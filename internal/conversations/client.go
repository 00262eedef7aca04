// Package conversations is the client side of the service: the one path the
// starter CLI, the gateway, the tests and the benchmark use to start and drive
// conversations, through the entity contracts of internal/api. Refusals come
// back as docs/rules.md §5 codes (internal/codes).
package conversations

import (
	"context"
	"errors"
	"sort"
	"sync/atomic"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
)

// Client drives conversations through a Temporal client.
type Client struct {
	Temporal client.Client
	IDKey    []byte // must equal the worker's: customer addresses hash to workflow IDs with it
	Tenant   string // "" when the worker serves a single tenant
	// Archive is the worker's (its bucket and codec keys). nil: Show refuses a
	// partly archived conversation, Body a long message, and Inbound a
	// message over model.MaxBodyBytes.
	Archive Archive
	// DirectoryCache, when set, answers Directories from the copy it keeps
	// (the gateway, the SMTP receiver and the desktop look the directory up
	// per request); copies of the Client share it.
	DirectoryCache *DirectoryCache
}

// DirectoryCache keeps the directories last read for MaxAge: a directory
// published since is seen once the copy expires.
type DirectoryCache struct {
	MaxAge time.Duration
	read   atomic.Pointer[directoriesRead]
}

// NewDirectoryCache keeps the directories for 10 s: a worker publishes them
// as it starts, and until it is ready nothing depends on them.
func NewDirectoryCache() *DirectoryCache { return &DirectoryCache{MaxAge: 10 * time.Second} }

type directoriesRead struct {
	dirs map[string]directory.Directory
	at   time.Time
}

// Archive keeps what workflows must not hold (internal/archive.Store): the
// transcript pages a long conversation moved out of its state, and the whole
// bodies of customer messages over model.MaxBodyBytes.
type Archive interface {
	Load(ctx context.Context, page model.ArchivePage) ([]model.Message, error)
	LoadBody(ctx context.Context, key string) (model.MessageBody, error)
	SaveBody(ctx context.Context, tenant, message string, body model.MessageBody) (string, error)
}

// Directories returns the tenant directories the worker published.
func (c *Client) Directories(ctx context.Context) (map[string]directory.Directory, error) {
	cache := c.DirectoryCache
	if cache == nil {
		return api.Directories(ctx, c.Temporal)
	}
	if read := cache.read.Load(); read != nil && time.Since(read.at) < cache.MaxAge {
		return read.dirs, nil
	}
	dirs, err := api.Directories(ctx, c.Temporal)
	if err == nil {
		cache.read.Store(&directoriesRead{dirs: dirs, at: time.Now()})
	}
	return dirs, err
}

// Directory returns the tenant this client works for.
func (c *Client) Directory(ctx context.Context) (directory.Directory, error) {
	dirs, err := c.Directories(ctx)
	if err != nil {
		return directory.Directory{}, err
	}
	if c.Tenant != "" {
		d, ok := dirs[c.Tenant]
		if !ok {
			return d, codes.New(codes.BadRequest, "the worker serves no tenant %q", c.Tenant)
		}
		return d, nil
	}
	names := sortedTenants(dirs)
	if len(names) != 1 {
		return directory.Directory{}, codes.New(codes.BadRequest, "the worker serves tenants %v: choose one with --tenant", names)
	}
	return dirs[names[0]], nil
}

func sortedTenants(dirs map[string]directory.Directory) []string {
	names := make([]string, 0, len(dirs))
	for n := range dirs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// tenant names the tenant without a round trip when it was given.
func (c *Client) tenant(ctx context.Context) (string, error) {
	if c.Tenant != "" {
		return c.Tenant, nil
	}
	d, err := c.Directory(ctx)
	return d.Tenant, err
}

// translate turns server answers into §5 codes: an existing workflow ID is
// an active conversation (rule 6), a finished one is a closed conversation.
func translate(err error) error {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		return nil
	case errors.As(err, &started):
		return codes.New(codes.ActiveConversationExists, "an active conversation with this address already exists")
	case errors.As(err, &notFound):
		return codes.New(codes.ConversationClosed, "the conversation is closed")
	}
	return err
}

func split(id string) (workflowID, firstRunID string, err error) {
	workflowID, firstRunID, ok := api.SplitConversationID(id)
	if !ok {
		return "", "", codes.New(codes.BadRequest, "%q is not a conversation id (as printed by start)", id)
	}
	return workflowID, firstRunID, nil
}
