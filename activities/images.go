package activities

import (
	"context"

	"go.temporal.io/sdk/temporal"

	"outbound/internal/images"
	"outbound/internal/imagestore"
	"outbound/internal/model"
)

// ImageStore hosts inline email images (internal/imagestore.Store in
// production): Put stores data under key with its Content-Type and answers the
// public URL. A key names its bytes, so a retried Put is harmless.
type ImageStore interface {
	Put(ctx context.Context, key, contentType string, data []byte) (string, error)
}

// PrepareEmailBody builds an email's HTML body (rules 12, 13): it checks again
// what the workflow's validator checked (tenant allows inline images, each
// image at most 15 KB and a PNG, JPEG, GIF or WebP by its bytes, no cid:
// reference), uploads every image to the store under its content-addressed
// key, and answers the sanitised HTML with each <img src="NAME"> pointing at
// its image's URL and unreferenced images appended. Refusals are
// non-retryable and typed with their SPEC §5 code; a failed upload is retried.
// Without images nothing is uploaded and the HTML is only sanitised.
func (a *Activities) PrepareEmailBody(ctx context.Context, req model.EmailBodyRequest) (string, error) {
	dir, err := a.directory(req.Tenant)
	if err != nil {
		return "", err
	}
	if err := images.CheckAllowed(dir.PCIEmail, dir.InlineImagesExempt, req.Images); err != nil {
		return "", err
	}
	if err := images.CheckAll(req.Images); err != nil {
		return "", err
	}
	if err := images.CheckHTML(req.HTML); err != nil {
		return "", err
	}
	if len(req.Images) == 0 {
		return images.Sanitize(req.HTML), nil
	}
	if a.Images == nil {
		return "", temporal.NewNonRetryableApplicationError(
			"this worker hosts no inline images (no image store configured)", "ImageStoreNotConfigured", nil)
	}
	urls := make(map[string]string, len(req.Images))
	order := make([]string, 0, len(req.Images))
	for _, img := range req.Images {
		contentType, _ := images.ContentType(img.Data) // CheckAll: known
		key := imagestore.Key(req.Tenant, req.Conversation, img.Data, contentType)
		url, err := a.Images.Put(ctx, key, contentType, img.Data)
		if err != nil {
			return "", err
		}
		urls[img.Name] = url
		order = append(order, img.Name)
	}
	return images.Compose(req.HTML, urls, order), nil
}
