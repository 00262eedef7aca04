package directory

import (
	"strings"
	"testing"

	"outbound/internal/model"
)

// validYAML is a minimal valid directory; each broken case edits one spot.
const validYAML = `tenant: t1
digitalChannels: true
transferOfferTimeout: 30s
wrapUpTimeout: 60s
defaultWrapUpReason: done
wrapUpReasons: [done]
entryPoints:
  - {id: ep-sms, channel: sms, address: "+14155550100", queue: q1}
queues:
  - {id: q1, name: Q1, agents: [a1]}
profiles:
  - id: p1
    channels: {sms: auto}
    maxOutbound: 1
agents:
  - {id: a1, name: A1, license: premium, profile: p1}
templates:
  - {id: t-sms, channel: sms, body: "Hi {{.name}}"}
  - {id: t-mail, channel: email, subject: "Hi", body: "<p>{{.name}}</p>"}
flows: [survey]
`

func TestParseValid(t *testing.T) {
	if _, err := Parse("ok.yaml", []byte(validYAML)); err != nil {
		t.Fatalf("valid directory refused:\n%v", err)
	}
}

func TestParseBroken(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // edit applied to validYAML
		want     string // expected in the error, after "broken.yaml: "
	}{
		{"unknown top-level field", "tenant: t1", "tenant: t1\ncolour: red", "colour: unknown field"},
		{"unknown field in flow mapping", "profile: p1}", "profile: p1, colour: red}", "agents[0].colour: unknown field"},
		{"unknown field in block mapping", "    maxOutbound: 1", "    maxOutbound: 1\n    colour: red", "profiles[0].colour: unknown field"},
		{"duration not a duration", "transferOfferTimeout: 30s", "transferOfferTimeout: soon", "transferOfferTimeout: cannot unmarshal"},
		{"duration without unit", "transferOfferTimeout: 30s", "transferOfferTimeout: 30", "transferOfferTimeout: cannot unmarshal"},
		{"list where a number goes", "maxOutbound: 1", "maxOutbound: [1]", "profiles[0].maxOutbound: cannot unmarshal"},
		{"zero duration", "wrapUpTimeout: 60s", "wrapUpTimeout: 0s", "wrapUpTimeout: must be a duration from 1s to 24h0m0s such as 30s, got 0s"},
		{"missing duration", "wrapUpTimeout: 60s\n", "", "wrapUpTimeout: must be a duration from 1s to 24h0m0s"},
		{"wrap-up for a century", "wrapUpTimeout: 60s", "wrapUpTimeout: 876000h", "wrapUpTimeout: must be a duration from 1s to 24h0m0s such as 30s, got 876000h0m0s"},
		{"re-offer in a nanosecond", "wrapUpTimeout: 60s", "wrapUpTimeout: 60s\nreofferAfter: 1ns", "reofferAfter: must be a duration from 1s to 1h such as 1m"},
		{"re-offer after a day", "wrapUpTimeout: 60s", "wrapUpTimeout: 60s\nreofferAfter: 24h", "reofferAfter: must be a duration from 1s to 1h such as 1m"},
		{"offer in a nanosecond", "transferOfferTimeout: 30s", "transferOfferTimeout: 1ns", "transferOfferTimeout: must be a duration from 1s to 10m0s such as 30s, got 1ns"},
		{"empty tenant", "tenant: t1", `tenant: ""`, "tenant: required"},
		{"unsafe tenant", "tenant: t1", "tenant: Acme Corp", `tenant: "Acme Corp" is not a safe id`},
		{"archive tenant", "tenant: t1", "tenant: transcripts", `tenant: "transcripts" is reserved for the transcript archive`},
		{"default reason not listed", "defaultWrapUpReason: done", "defaultWrapUpReason: other", `defaultWrapUpReason: "other" is not one of wrapUpReasons`},
		{"reason listed twice", "[done]", "[done, done]", `wrapUpReasons[1]: "done" is listed twice`},
		{"unsafe id", "id: a1,", "id: A1,", `agents[0].id: "A1" is not a safe id`},
		{"duplicate id", "profile: p1}", "profile: p1}\n  - {id: a1, name: A2, license: premium, profile: p1}", `agents[1].id: "a1" is already used by agents[0].id`},
		{"login not an email", "profile: p1}", "profile: p1, login: alice}", `agents[0].login: "alice" is not an email address`},
		{"login twice", "profile: p1}", "profile: p1, login: a@t1.example}\n  - {id: a2, name: A2, license: premium, profile: p1, login: A@t1.example}", `agents[1].login: "A@t1.example" is already the login of agents[0]`},
		{"profile channel unknown", "{sms: auto}", "{sms: auto, fax: auto}", `profiles[0].channels.fax: unknown channel "fax"`},
		{"assignment unknown", "{sms: auto}", "{sms: automatic}", `profiles[0].channels.sms: assignment "automatic" must be auto or manual`},
		{"maxOutbound zero", "maxOutbound: 1", "maxOutbound: 0", "profiles[0].maxOutbound: must be from 1 to 50, got 0"},
		{"maxOutbound a billion", "maxOutbound: 1", "maxOutbound: 1e9", "profiles[0].maxOutbound: "},
		{"license empty", "license: premium", `license: ""`, "agents[0].license: required"},
		{"agent profile unknown", "profile: p1}", "profile: gold}", `agents[0].profile: unknown profile "gold"`},
		{"queue agent unknown", "agents: [a1]", "agents: [a1, zed]", `queues[0].agents[1]: unknown agent "zed"`},
		{"entry point queue unknown", "queue: q1}", "queue: nope}", `entryPoints[0].queue: unknown queue "nope"`},
		{"entry point channel unknown", "channel: sms, address", "channel: fax, address", `entryPoints[0].channel: unknown channel "fax"`},
		{"entry point address invalid", `"+14155550100"`, "support@t1.example", "entryPoints[0].address: not a valid sms sender: an alphanumeric sender ID holds letters, digits and spaces only"},
		{"entry point number too short", `"+14155550100"`, `"+1415555010"`, "entryPoints[0].address: not a valid sms sender: the address is not a valid phone number"},
		{"short code without country", `"+14155550100"`, `"12345"`, "entryPoints[0].address: not a valid sms sender: short code 12345 needs its country"},
		{"short code too long", `"+14155550100"`, `"123456789"`, "entryPoints[0].address: not a valid sms sender: a short code has 3 to 8 digits"},
		{"short code in no country", `address: "+14155550100"`, `address: "12345", country: XX`, `entryPoints[0].address: not a valid sms sender: "XX" is not an ISO 3166 country code`},
		{"country of a number", `address: "+14155550100"`, `address: "+14155550100", country: US`, "entryPoints[0].address: not a valid sms sender: a country is declared for short codes only"},
		{"sender ID too long", `"+14155550100"`, `"Acme Support"`, "entryPoints[0].address: not a valid sms sender: an alphanumeric sender ID has 1 to 11 characters, not 12"},
		{"template channel unknown", "channel: sms, body", "channel: fax, body", `templates[0].channel: unknown channel "fax"`},
		{"sms template with subject", "channel: sms, body", `channel: sms, subject: "Hi", body`, "templates[0].subject: only email templates have a subject"},
		{"sms template does not parse", `"Hi {{.name}}"`, `"Hi {{.name"`, "templates[0].body: does not parse"},
		{"email body does not parse", `"<p>{{.name}}</p>"`, `"<p>{{if .name}}</p>"`, "templates[1].body: does not parse"},
		{"email body breaks escaping", `"<p>{{.name}}</p>"`, `"<a href='{{.url}}>x"`, "templates[1].body: is not valid HTML for escaping"},
		{"email subject does not parse", `subject: "Hi"`, `subject: "Hi {{"`, "templates[1].subject: does not parse"},
		{"template body missing", `, body: "Hi {{.name}}"`, "", "templates[0].body: required"},
		{"flow event unknown", "flows: [survey]", "flows: [{id: survey, event: task-won}]", `flows[0].event: unknown event "task-won"`},
		{"flow unknown field", "flows: [survey]", "flows: [{id: survey, when: task-ended}]", "flows[0].when: unknown field"},
		{"flow as a list", "flows: [survey]", "flows:\n  - [survey]", "flows[0]: a flow is a name or"},
		{"flow id missing", "flows: [survey]", "flows: [{event: task-ended}]", "flows[0].id: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(validYAML, tt.old) {
				t.Fatalf("test bug: %q not in validYAML", tt.old)
			}
			broken := strings.Replace(validYAML, tt.old, tt.new, 1)
			_, err := Parse("broken.yaml", []byte(broken))
			if err == nil {
				t.Fatalf("accepted:\n%s", broken)
			}
			if !strings.Contains(err.Error(), "broken.yaml: "+tt.want) {
				t.Errorf("error does not contain %q:\n%v", "broken.yaml: "+tt.want, err)
			}
			assertEveryLineNamesFile(t, err)
		})
	}
}

func TestParseReportsAllProblems(t *testing.T) {
	broken := strings.NewReplacer("profile: p1}", "profile: gold}", "maxOutbound: 1", "maxOutbound: 0").Replace(validYAML)
	_, err := Parse("broken.yaml", []byte(broken))
	for _, want := range []string{"agents[0].profile:", "profiles[0].maxOutbound:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseRefusesDocumentShape(t *testing.T) {
	tests := map[string]string{
		"empty":         "",
		"only comments": "# nothing yet\n",
		"two documents": validYAML + "---\n" + validYAML,
		"not yaml":      "tenant: [t1",
		"not a mapping": "- t1",
	}
	for name, data := range tests {
		if _, err := Parse("broken.yaml", []byte(data)); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			assertEveryLineNamesFile(t, err)
		}
	}
}

func TestLoadMissingFileNamesIt(t *testing.T) {
	_, err := Load("testdata/missing.yaml")
	if err == nil || !strings.Contains(err.Error(), "testdata/missing.yaml") {
		t.Errorf("err = %v", err)
	}
}

func assertEveryLineNamesFile(t *testing.T, err error) {
	t.Helper()
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "broken.yaml: ") {
			t.Errorf("error line does not name the file: %q", line)
		}
	}
}

// docs/rules.md §3: an SMS entry point may send from any valid number (a toll-free or
// fixed-line business number too), a short code of a country, or an
// alphanumeric sender ID; replies reach the numbers and the short code only.
func TestParseSMSSenders(t *testing.T) {
	yaml := strings.Replace(validYAML, `  - {id: ep-sms, channel: sms, address: "+14155550100", queue: q1}`, `  - {id: toll-free, channel: sms, address: "+1 800 234 5678", queue: q1}
  - {id: uk-landline, channel: sms, address: "+44 20 7183 8750", queue: q1}
  - {id: short, channel: sms, address: "12345", country: US, queue: q1}
  - {id: named, channel: sms, address: "Acme Co", queue: q1}`, 1)
	d, err := Parse("senders.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("senders refused:\n%v", err)
	}
	for to, want := range map[string]string{
		"+18002345678": "toll-free", "+442071838750": "uk-landline", "12345": "short",
		"Acme Co": "", "+14155550100": "", "1234": "",
	} {
		ep, ok := d.EntryPointByAddress(model.SMS, to)
		if ok != (want != "") || ep.ID != want {
			t.Errorf("an SMS to %q routes to %q (%v), want %q", to, ep.ID, ok, want)
		}
	}
}
