package templates

import "testing"

func TestPlainText(t *testing.T) {
	tests := []struct{ html, want string }{
		{"<p>Hello Ann,</p><p>about T-1.</p>", "Hello Ann,\n\nabout T-1."},
		{"Line one<br>line two", "Line one\nline two"},
		{"<p>Tom &amp; Jerry &lt;3 &#34;hi&#34;</p>", `Tom & Jerry <3 "hi"`},
		{"<p>  spaced\n   out  </p>", "spaced out"},
		{"<style>p{color:red}</style><p>visible</p><script>x()</script>", "visible"},
		{`<p>see <img src="https://img.example/a.png"> <a href="https://x.example">link</a></p>`, "see link"},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.html); got != tt.want {
			t.Errorf("PlainText(%q) = %q; want %q", tt.html, got, tt.want)
		}
	}
}

// The text alternative of a rendered template reads like the HTML one.
func TestPlainTextOfRenderedEmail(t *testing.T) {
	_, body, err := Render(followup.Channel, followup, map[string]string{"name": "<Ann>", "ticket": "T-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := PlainText(body), "Hello <Ann>,\n\nabout T-1."; got != want {
		t.Errorf("PlainText = %q; want %q", got, want)
	}
}
