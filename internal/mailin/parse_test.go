package mailin

import (
	"reflect"
	"strings"
	"testing"
)

func TestStripQuoted(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{
			name: "gmail style",
			in:   "Thanks, that works.\r\n\r\nOn Mon, 3 Jun 2024 at 10:00, Acme Support <support@acme.example> wrote:\r\n> Hello Jane,\r\n>\r\n> please try again.\r\n",
			want: "Thanks, that works.",
		},
		{
			name: "wrapped attribution",
			in:   "Yes please.\n\nOn Mon, Jun 3, 2024 at 10:00 AM Acme Support <\nsupport@acme.example> wrote:\n\n> Hello\n> > older\n\n",
			want: "Yes please.",
		},
		{
			name: "no attribution keeps quote",
			in:   "I disagree with this:\n> the price is final\n",
			want: "I disagree with this:\n> the price is final",
		},
		{
			name: "inline quoting keeps everything",
			in:   "On Monday you wrote:\n> question one\nanswer one\n> question two\nanswer two",
			want: "On Monday you wrote:\n> question one\nanswer one\n> question two\nanswer two",
		},
		{
			name: "attribution without quote",
			in:   "Hi\nOn Monday Bob wrote:\n",
			want: "Hi\nOn Monday Bob wrote:",
		},
		{
			name: "nothing but the quote is kept",
			in:   "On Mon, Bob wrote:\n> hello\n",
			want: "On Mon, Bob wrote:\n> hello",
		},
		{
			name: "plain text untouched",
			in:   "\n\n  Line one\nLine two  \n\n",
			want: "  Line one\nLine two",
		},
		{
			name: "empty",
			in:   "",
			want: "",
		},
	}
	for _, c := range cases {
		if got := StripQuoted(c.in); got != c.want {
			t.Errorf("%s: StripQuoted = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestMessageIDs(t *testing.T) {
	cases := map[string][]string{
		"<a@b>":                {"a@b"},
		" <a@b>\r\n <c@d> ":    {"a@b", "c@d"},
		"<a@b>,<c@d>":          {"a@b", "c@d"},
		"a@b c@d":              {"a@b", "c@d"},
		"":                     nil,
		"(comment) <x@y> junk": {"x@y"},
	}
	for in, want := range cases {
		if got := messageIDs(in); !reflect.DeepEqual(got, want) {
			t.Errorf("messageIDs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSanitizeHTML(t *testing.T) {
	in := `<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>` +
		`<p onclick="steal()" style="x">Hi <b>there</b></p>` +
		`<a href="https://acme.example/x" onmouseover="x()">link</a>` +
		`<a href="javascript:alert(1)">js</a>` +
		`<img src="https://img.example/a.png" onerror="x()"><img src="cid:part1@x"><img src="data:image/png;base64,AAAA">` +
		`<form action="https://evil.example"><input name="pw"><button>go</button></form>` +
		`<iframe src="https://evil.example"></iframe></body></html>`
	got := SanitizeHTML(in)
	for _, bad := range []string{"<script", "alert(1)", "onclick", "onmouseover", "onerror", "javascript:",
		"<form", "<input", "<button", "<iframe", "cid:", "data:", "style", "<html", "<body"} {
		if strings.Contains(got, bad) {
			t.Errorf("sanitised HTML contains %q: %s", bad, got)
		}
	}
	for _, good := range []string{"<b>there</b>", `href="https://acme.example/x"`, `src="https://img.example/a.png"`} {
		if !strings.Contains(got, good) {
			t.Errorf("sanitised HTML lacks %q: %s", good, got)
		}
	}
}

const (
	conv1 = "conversation/acme/ep-email/0123456789abcdef0123456789abcdef/5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a"
	conv2 = "conversation/acme/ep-email/fedcba9876543210fedcba9876543210/11111111-2222-3333-4444-555555555555"
	id1   = "m3.conversation.acme.ep-email.0123456789abcdef0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@acme.example"
	id2   = "m1.conversation.acme.ep-email.fedcba9876543210fedcba9876543210.11111111-2222-3333-4444-555555555555@acme.example"
)

func TestParseThreading(t *testing.T) {
	cases := []struct {
		name, headers, want string
	}{
		{"in-reply-to", "In-Reply-To: <" + id1 + ">\r\nReferences: <" + id2 + ">\r\n", conv1},
		{"in-reply-to foreign, references newest first", "In-Reply-To: <CAF123@mail.gmail.com>\r\nReferences: <" + id1 + ">\r\n <" + id2 + "> <CAF123@mail.gmail.com>\r\n", conv2},
		{"none", "", ""},
		{"foreign only", "In-Reply-To: <abc@example.org>\r\n", ""},
	}
	for _, c := range cases {
		raw := "From: Jane <jane@customer.example>\r\nTo: support@acme.example\r\nSubject: Re: x\r\nMessage-ID: <r1@customer.example>\r\n" +
			c.headers + "\r\nhello\r\n"
		m, err := Parse([]byte(raw), "bounce@customer.example")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.Thread != c.want {
			t.Errorf("%s: Thread = %q, want %q", c.name, m.Thread, c.want)
		}
		if m.From != "jane@customer.example" || m.MessageID != "r1@customer.example" || m.Text != "hello" || m.Subject != "Re: x" {
			t.Errorf("%s: parsed %+v", c.name, m)
		}
	}
}

func TestParseFallbacks(t *testing.T) {
	raw := "To: support@acme.example\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		"<p>Hello <b>team</b></p><script>alert(1)</script>"
	m, err := Parse([]byte(raw), "jane@customer.example")
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "jane@customer.example" {
		t.Errorf("From = %q, want the envelope sender", m.From)
	}
	if m.Subject != "Grüße" {
		t.Errorf("Subject = %q", m.Subject)
	}
	if m.HTML != "<p>Hello <b>team</b></p>" {
		t.Errorf("HTML = %q", m.HTML)
	}
	if !strings.Contains(m.Text, "Hello") || !strings.Contains(m.Text, "team") || strings.Contains(m.Text, "alert") {
		t.Errorf("Text = %q, want text derived from the HTML", m.Text)
	}
	if m.MessageID != "" || m.Thread != "" {
		t.Errorf("MessageID %q Thread %q, want empty", m.MessageID, m.Thread)
	}
}
