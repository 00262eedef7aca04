package desktop

import (
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"

	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
	"outbound/internal/sms"
	"outbound/internal/templates"
)

// composeView is a message being composed, in the new-conversation dialog or
// a conversation's composer: a template with its variables, or free text,
// and for email inline images.
type composeView struct {
	Lang       string
	Prefix     string // of its controls' ids: the dialog's differ from the page's under it
	Channel    model.Channel
	Choose     string // the page that re-renders the form for another template or channel
	Templates  []directory.Template
	Template   string
	Variables  []variable
	Preview    []previewPart // of the chosen template's text
	Text       string
	EnterSends bool
	Segments   int // of Text, for SMS; the page's script keeps it current
}

type variable struct{ Name, Value string }

// The GSM-7 alphabets the page's script counts segments with, from the same
// tables as the server.
func (composeView) GSM() string          { return sms.GSMAlphabet }
func (composeView) GSMExtension() string { return sms.GSMExtension }

// composeFor fills the composer from the request, for the channel's templates.
func composeFor(r *http.Request, dir *directory.Directory, lang string, ch model.Channel, choose string) composeView {
	c := composeView{Lang: lang, Channel: ch, Choose: choose, Template: r.FormValue("template"), Text: r.FormValue("text")}
	for _, tpl := range dir.Templates {
		if tpl.Channel != ch {
			continue
		}
		c.Templates = append(c.Templates, tpl)
		if tpl.ID == c.Template {
			for _, name := range templates.Variables(tpl) {
				c.Variables = append(c.Variables, variable{Name: name, Value: r.FormValue("var." + name)})
			}
			c.Preview = preview(ch, tpl, c.Variables)
		}
	}
	if ch == model.SMS {
		c.Segments = sms.Segments(c.Text)
	}
	return c
}

// maxUpload bounds a composed message's request: room for a few images far
// above the 15 KB each may have (the workflow refuses those with
// IMAGE_TOO_LARGE), far below a Temporal payload.
const maxUpload = 1 << 20

// message is what the agent composed, with the images it attached. The
// rules (template variables, image size and type, the channel's limits) are
// the conversation's to check.
func (c composeView) message(r *http.Request) (model.Compose, error) {
	m := model.Compose{Text: c.Text}
	if c.Template != "" {
		m = model.Compose{Template: c.Template, Vars: map[string]string{}}
		for _, v := range c.Variables {
			m.Vars[v.Name] = v.Value
		}
	}
	if r.MultipartForm == nil {
		return m, nil
	}
	for _, fh := range r.MultipartForm.File["image"] {
		data, err := readUpload(fh)
		if err != nil {
			return m, err
		}
		m.Images = append(m.Images, model.Image{Name: filepath.Base(fh.Filename), Data: data})
	}
	return m, nil
}

func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// limitUpload bounds the request body before its form is parsed.
func limitUpload(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	if err := r.ParseMultipartForm(maxUpload); err != nil && err != http.ErrNotMultipart {
		return codes.New(codes.BadRequest, "the message and its images are over 1 MiB")
	}
	return nil
}
