package directory

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"outbound/internal/codes"
	"outbound/internal/model"
)

const examplePath = "../../examples/acme.yaml"

func loadExample(t *testing.T) *Directory {
	t.Helper()
	d, err := Load(examplePath)
	if err != nil {
		t.Fatalf("the shipped example must load:\n%v", err)
	}
	return d
}

func TestExampleLoads(t *testing.T) {
	d := loadExample(t)
	if d.Tenant != "acme" || !d.DigitalChannels {
		t.Errorf("tenant = %q, digitalChannels = %v", d.Tenant, d.DigitalChannels)
	}
	if d.TransferOfferTimeout != 30*time.Second || d.WrapUpTimeout != 60*time.Second {
		t.Errorf("timeouts = %v, %v; want 30s, 60s", d.TransferOfferTimeout, d.WrapUpTimeout)
	}
	if tpl, _ := d.Template("followup"); tpl.Channel != model.Email || tpl.Subject == "" {
		t.Errorf("followup template = %+v; want an email template with a subject", tpl)
	}
	wantFlows := []Flow{{ID: "survey"}, {ID: "csat", Event: TaskEnded}}
	if !reflect.DeepEqual(d.Flows, wantFlows) {
		t.Errorf("flows = %+v; want %+v", d.Flows, wantFlows)
	}
}

func TestExampleLookups(t *testing.T) {
	d := loadExample(t)
	if a, ok := d.Agent("carol"); !ok || a.License != "standard" {
		t.Errorf("Agent(carol) = %+v, %v", a, ok)
	}
	if _, ok := d.Agent("zed"); ok {
		t.Error("Agent(zed) found")
	}
	if p, ok := d.Profile("email-manual"); !ok || p.MaxOutbound != 1 || p.Channels[model.Email] != Manual {
		t.Errorf("Profile(email-manual) = %+v, %v", p, ok)
	}
	if q, ok := d.Queue("billing"); !ok || q.Name != "Billing" {
		t.Errorf("Queue(billing) = %+v, %v", q, ok)
	}
	var queues []string
	for _, q := range d.QueuesOf("bob") {
		queues = append(queues, q.ID)
	}
	if !reflect.DeepEqual(queues, []string{"support", "billing"}) {
		t.Errorf("QueuesOf(bob) = %v", queues)
	}
	if ep, ok := d.EntryPointByAddress(model.Email, "Acme <support@ACME.example>"); !ok || ep.ID != "ep-email" {
		t.Errorf("EntryPointByAddress(email) = %+v, %v", ep, ok)
	}
	if ep, ok := d.EntryPointByAddress(model.SMS, "+1 415 555 0100"); !ok || ep.ID != "ep-sms" {
		t.Errorf("EntryPointByAddress(sms) = %+v, %v", ep, ok)
	}
	if _, ok := d.EntryPointByAddress(model.SMS, "support@acme.example"); ok {
		t.Error("an email address matched an SMS entry point")
	}
}

func TestTriggerableFlow(t *testing.T) {
	d := loadExample(t)
	if _, err := d.TriggerableFlow("survey"); err != nil {
		t.Errorf("survey: %v", err)
	}
	for _, id := range []string{"csat", "nope"} {
		if _, err := d.TriggerableFlow(id); !codes.Is(err, codes.FlowNotAllowed) {
			t.Errorf("%s: err = %v; want FLOW_NOT_ALLOWED", id, err)
		}
	}
}

// The directory travels in Temporal payloads as JSON; it must survive the trip.
func TestExampleJSONRoundTrip(t *testing.T) {
	d := loadExample(t)
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back Directory
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*d, back) {
		t.Errorf("round trip changed the directory:\n%s", data)
	}
}
