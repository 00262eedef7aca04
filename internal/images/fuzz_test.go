package images

import (
	"strings"
	"testing"

	"outbound/internal/model"
)

// FuzzSanitize: no agent HTML makes sanitising or the cid: check panic or
// hang, and what is sent carries no script.
func FuzzSanitize(f *testing.F) {
	f.Add(`<p>Hi <img src="chart.png"></p><script>alert(1)</script>`)
	f.Add(`<img src="cid:logo"><style>a{background:url(cid:x)}</style><!-- <img src=cid:y> -->`)
	f.Add(`<a href="javascript:alert(1)">x</a><iframe src=//evil>`)
	f.Fuzz(func(t *testing.T, html string) {
		out := Sanitize(html)
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("a script survived: %q", out)
		}
		_ = CheckHTML(html)
		_ = Compose(html, map[string]string{"chart.png": "https://img.example/k.png"}, []string{"chart.png"})
	})
}

// FuzzCheck: no uploaded file makes the image check panic, hang or allocate
// without bound, and what it accepts is a whole image of its type.
func FuzzCheck(f *testing.F) {
	for _, b := range [][]byte{pngImage, jpegImage, gif89, gif87, webpImage, hugePNG(60000, 60000)} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if Check(model.Image{Name: "f.png", Data: data}) != nil {
			return
		}
		if ct, ok := ContentType(data); !ok || !decodes(data, ct) {
			t.Fatalf("accepted %d bytes that are not a whole image", len(data))
		}
	})
}
