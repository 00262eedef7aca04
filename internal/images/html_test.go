package images

import (
	"strings"
	"testing"

	"outbound/internal/codes"
)

func TestCheckHTML(t *testing.T) {
	for _, tc := range []struct {
		name string
		html string
		cid  bool
	}{
		{"plain", `<p>Hello</p>`, false},
		{"empty", ``, false},
		{"attached name", `<img src="logo.png">`, false},
		{"https image", `<img src="https://cdn.example/logo.png">`, false},
		{"acid in text", `<p>Acid: not a reference. Use cid: in text is fine too</p>`, false},
		{"cid in alt", `<img src="logo.png" alt="cid:logo">`, false},
		{"url path containing cid:", `<img src="https://x.example/a?cid:b">`, false},
		{"css without cid", `<div style="background:url(https://x.example/a.png)">x</div>`, false},
		{"img src", `<img src="cid:logo@acme">`, true},
		{"upper case", `<IMG SRC="CID:logo">`, true},
		{"mixed case", `<img src="Cid:logo">`, true},
		{"unquoted", `<img src=cid:logo>`, true},
		{"single quotes", `<img src='cid:logo'>`, true},
		{"leading spaces", `<img src="   cid:logo">`, true},
		{"leading newline and tab", "<img src=\"\n\tcid:logo\">", true},
		{"embedded tab", "<img src=\"c\tid:logo\">", true},
		{"decimal entity", `<img src="&#99;id:logo">`, true},
		{"hex entities", `<img src="&#x63;&#x69;&#x64;&#x3a;logo">`, true},
		{"named colon entity", `<img src="cid&colon;logo">`, true},
		{"href", `<a href="cid:part1">see</a>`, true},
		{"background attribute", `<table background="cid:bg"><tr><td>x</td></tr></table>`, true},
		{"srcset", `<img src="a.png" srcset="a.png 1x, cid:b 2x">`, true},
		{"data-src", `<img data-src="cid:x">`, true},
		{"svg xlink", `<svg><image xlink:href="cid:x"/></svg>`, true},
		{"css url", `<div style="background-image: url(cid:bg)">x</div>`, true},
		{"css url quoted spaced", `<div style="background: URL( ' cid:bg ' )">x</div>`, true},
		{"css url quoted", `<div style="background: URL( 'cid:bg' )">x</div>`, true},
		{"css url double quoted entity", `<div style="background:url(&quot;cid:bg&quot;)">x</div>`, true},
		{"css escape", `<div style="background:url(\63 id:bg)">x</div>`, true},
		{"css comment", `<div style="background:url(/**/cid:bg)">x</div>`, true},
		{"style element", `<style>.a { background: url("cid:bg") }</style><p class="a">x</p>`, true},
		{"style import", `<style>@import 'cid:sheet';</style>`, true},
		{"style element clean", `<style>.a { color: red } /* acid: */</style><p>x</p>`, false},
		{"conditional comment", `<!--[if mso]><img src="cid:logo"><![endif]--><p>x</p>`, true},
		{"plain comment", `<!-- cid: is mentioned here --><p>x</p>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckHTML(tc.html)
			if got := codes.Is(err, codes.CIDNotSupported); got != tc.cid {
				t.Fatalf("CheckHTML(%q) = %v, want CID_NOT_SUPPORTED: %v", tc.html, err, tc.cid)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		html    string
		want    []string // substrings that must remain
		notWant []string // (case-insensitive) substrings that must be gone
	}{
		{"plain text survives", `<p>Hello <b>Jo</b> &amp; co</p>`, []string{`<p>Hello <b>Jo</b> &amp; co</p>`}, nil},
		{"script", `<p>hi</p><script>alert(1)</script>`, []string{"<p>hi</p>"}, []string{"script", "alert"}},
		{"event handler", `<img src="https://x.example/a.png" onerror="alert(1)"><p onclick="x()">p</p>`,
			[]string{`<img src="https://x.example/a.png">`, "<p>p</p>"}, []string{"onerror", "onclick", "alert"}},
		{"iframe", `<iframe src="https://evil.example"></iframe><p>x</p>`, []string{"<p>x</p>"}, []string{"iframe", "evil"}},
		{"form", `<form action="https://evil.example/steal" method="post"><input name="card"><button>Pay</button></form>`,
			nil, []string{"<form", "<input", "evil", "<button"}},
		{"javascript link", `<a href="javascript:alert(1)">x</a>`, nil, []string{"javascript"}},
		{"https link", `<a href="https://acme.example/help">help</a>`, []string{`href="https://acme.example/help"`, `rel="nofollow"`}, nil},
		{"data image", `<img src="data:image/png;base64,AAAA">`, nil, []string{"data:"}},
		{"http image", `<img src="http://x.example/a.png" alt="logo" width="10">`, []string{`src="http://x.example/a.png"`, `alt="logo"`, `width="10"`}, nil},
		{"style", `<style>body{}</style><p style="position:fixed">x</p>`, []string{"<p>x</p>"}, []string{"style", "position"}},
		{"object embed", `<object data="x.swf"></object><embed src="x.swf">`, nil, []string{"object", "embed", "swf"}},
		{"meta refresh", `<meta http-equiv="refresh" content="0;url=https://evil.example">`, nil, []string{"meta", "evil"}},
		{"svg script", `<svg><script>alert(1)</script></svg>`, nil, []string{"script", "alert"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Sanitize(tc.html)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("Sanitize(%q) = %q, want it to contain %q", tc.html, got, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(strings.ToLower(got), strings.ToLower(w)) {
					t.Errorf("Sanitize(%q) = %q, must not contain %q", tc.html, got, w)
				}
			}
		})
	}
}

func TestCompose(t *testing.T) {
	urls := map[string]string{
		"logo.png":   "http://127.0.0.1:9000/images/acme/c1/aaa.png",
		"chart.gif":  "http://127.0.0.1:9000/images/acme/c1/bbb.gif",
		"my pic.jpg": "http://127.0.0.1:9000/images/acme/c1/ccc.jpg",
		`a"b<c>.png`: "http://127.0.0.1:9000/images/acme/c1/ddd.png",
	}
	for _, tc := range []struct {
		name  string
		html  string
		order []string
		want  string
	}{
		{"referenced", `<p>Hi</p><img src="logo.png">`, []string{"logo.png"},
			`<p>Hi</p><img src="http://127.0.0.1:9000/images/acme/c1/aaa.png">`},
		{"referenced keeps other attributes", `<img alt="Acme" src="logo.png" width="20">`, []string{"logo.png"},
			`<img alt="Acme" src="http://127.0.0.1:9000/images/acme/c1/aaa.png" width="20">`},
		{"self-closing and ./", `<p><img src="./logo.png"/></p>`, []string{"logo.png"},
			`<p><img src="http://127.0.0.1:9000/images/acme/c1/aaa.png"/></p>`},
		{"percent-encoded name", `<img src="my%20pic.jpg">`, []string{"my pic.jpg"},
			`<img src="http://127.0.0.1:9000/images/acme/c1/ccc.jpg">`},
		{"unreferenced appended in order", `<p>Hi</p>`, []string{"chart.gif", "logo.png"},
			`<p>Hi</p><p><img src="http://127.0.0.1:9000/images/acme/c1/bbb.gif" alt="chart.gif"></p>` +
				`<p><img src="http://127.0.0.1:9000/images/acme/c1/aaa.png" alt="logo.png"></p>`},
		{"mixed", `<p>Chart: <img src="chart.gif"></p>`, []string{"logo.png", "chart.gif"},
			`<p>Chart: <img src="http://127.0.0.1:9000/images/acme/c1/bbb.gif"></p>` +
				`<p><img src="http://127.0.0.1:9000/images/acme/c1/aaa.png" alt="logo.png"></p>`},
		{"referenced twice, not appended", `<img src="logo.png"><img src="logo.png">`, []string{"logo.png"},
			`<img src="http://127.0.0.1:9000/images/acme/c1/aaa.png"><img src="http://127.0.0.1:9000/images/acme/c1/aaa.png">`},
		{"unknown name left alone", `<img src="other.png">`, nil, `<img src="other.png">`},
		{"empty body", ``, []string{"logo.png"}, `<p><img src="http://127.0.0.1:9000/images/acme/c1/aaa.png" alt="logo.png"></p>`},
		{"name in text is not a reference", `<p>see logo.png</p>`, []string{"logo.png"},
			`<p>see logo.png</p><p><img src="http://127.0.0.1:9000/images/acme/c1/aaa.png" alt="logo.png"></p>`},
		{"order without url ignored", `<p>x</p>`, []string{"missing.png"}, `<p>x</p>`},
		{"order twice appended once", `<p>x</p>`, []string{"logo.png", "logo.png"},
			`<p>x</p><p><img src="http://127.0.0.1:9000/images/acme/c1/aaa.png" alt="logo.png"></p>`},
		{"sanitised", `<p onclick="x()">Hi</p><script>alert(1)</script><img src="logo.png" onerror="alert(2)">`, []string{"logo.png"},
			`<p>Hi</p><img src="http://127.0.0.1:9000/images/acme/c1/aaa.png">`},
		{"odd name escaped", `<p>x</p>`, []string{`a"b<c>.png`},
			`<p>x</p><p><img src="http://127.0.0.1:9000/images/acme/c1/ddd.png"></p>`}, // alt dropped: not plain paragraph text
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Compose(tc.html, urls, tc.order); got != tc.want {
				t.Fatalf("Compose(%q)\n got %s\nwant %s", tc.html, got, tc.want)
			}
		})
	}
}

func TestComposeDeterministic(t *testing.T) {
	urls := map[string]string{}
	var order []string
	for _, n := range []string{"a.png", "b.png", "c.png", "d.png", "e.png", "f.png", "g.png", "h.png"} {
		urls[n] = "https://img.example/" + n
		order = append(order, n)
	}
	first := Compose("<p>x</p>", urls, order)
	for range 50 {
		if got := Compose("<p>x</p>", urls, order); got != first {
			t.Fatalf("Compose is not deterministic:\n%s\n%s", first, got)
		}
	}
}
