package activities

import (
	"context"
	"html"
	"strings"

	"go.temporal.io/sdk/temporal"

	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/images"
	"outbound/internal/imagestore"
	"outbound/internal/model"
	"outbound/internal/sms"
	"outbound/internal/templates"
)

// ImageStore hosts inline email images (internal/imagestore.Store in
// production): Put stores data under key with its Content-Type and answers the
// public URL. A key names its bytes, so a retried Put is harmless.
type ImageStore interface {
	Put(ctx context.Context, key, contentType string, data []byte) (string, error)
}

// ComposeMessage makes an agent's message ready to deliver, the first message
// of a start and every later one alike (rule 9): it renders the template, and
// refuses an SMS that needs too many segments; for email it hosts the inline
// images under content-addressed keys and answers the sanitised HTML with
// each <img src="NAME"> pointing at its image's URL (unreferenced images are
// appended), and the plain-text part. The conversation has checked the
// request against rules 12 and 13 (images.CheckAllowed, CheckAll, CheckHTML);
// this trusts it. A failed upload is retried.
func (a *Activities) ComposeMessage(ctx context.Context, req model.ComposeRequest) (model.Rendered, error) {
	dir, err := a.directory(req.Tenant)
	if err != nil {
		return model.Rendered{}, err
	}
	out, err := render(dir, req.Channel, req.Compose)
	if err != nil {
		return out, err
	}
	if req.Channel == model.SMS {
		return out, sms.CheckLength(out.Text)
	}
	if out.HTML == "" && len(req.Compose.Images) == 0 {
		return out, nil
	}
	if out.HTML == "" { // text with images: the HTML part shows the text too
		out.HTML = textHTML(out.Text)
	}
	if out.HTML, err = a.hostImages(ctx, req, out.HTML); err != nil {
		return model.Rendered{}, err
	}
	if req.Compose.Text == "" {
		out.Text = templates.PlainText(out.HTML)
	}
	if n := len(out.Text) + len(out.HTML); n > model.MaxBodyBytes {
		return model.Rendered{}, codes.New(codes.MessageTooLong, "the email comes to %d KiB of text and HTML, over the %d KiB a message may have", n>>10, model.MaxBodyBytes>>10)
	}
	return out, nil
}

// textHTML is plain text as HTML paragraphs, escaped, its lines kept.
func textHTML(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if para != "" {
			b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(para), "\n", "<br>") + "</p>")
		}
	}
	return b.String()
}

// render fills in a template, or takes the agent's text and HTML as they are.
func render(dir *directory.Directory, ch model.Channel, c model.Compose) (model.Rendered, error) {
	if c.Template == "" {
		return model.Rendered{Text: c.Text, HTML: c.HTML}, nil
	}
	tpl, ok := dir.Template(c.Template)
	if !ok {
		return model.Rendered{}, codes.New(codes.TemplateNotFound, "no template %q", c.Template)
	}
	subject, body, err := templates.Render(ch, tpl, c.Vars)
	if err != nil {
		return model.Rendered{}, err
	}
	if ch == model.Email {
		return model.Rendered{HTML: body, Subject: subject, Template: tpl.ID}, nil
	}
	return model.Rendered{Text: body, Subject: subject, Template: tpl.ID}, nil
}

// hostImages uploads the message's images and answers its HTML, sanitised,
// with the images referenced by URL.
func (a *Activities) hostImages(ctx context.Context, req model.ComposeRequest, html string) (string, error) {
	imgs := req.Compose.Images
	if len(imgs) == 0 {
		return images.Sanitize(html), nil
	}
	if a.Images == nil {
		return "", temporal.NewNonRetryableApplicationError(
			"this worker hosts no inline images (no image store configured)", "ImageStoreNotConfigured", nil)
	}
	urls := make(map[string]string, len(imgs))
	order := make([]string, 0, len(imgs))
	for _, img := range imgs {
		contentType, _ := images.ContentType(img.Data) // checked by the conversation: known
		url, err := a.Images.Put(ctx, imagestore.Key(req.Tenant, req.Conversation, img.Data, contentType), contentType, img.Data)
		if err != nil {
			return "", err
		}
		urls[img.Name] = url
		order = append(order, img.Name)
	}
	return images.Compose(html, urls, order), nil
}
