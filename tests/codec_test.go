package tests

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"outbound/internal/api"
	"outbound/internal/codec"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// TestHistoryHoldsCiphertextOnly reads the stored histories of a conversation,
// its customer and its agent with a client that has no keys: no customer
// address, message text or subject appears anywhere, and every payload but
// the search attributes is encrypted. The service's own client (with the
// keys) reads the conversation normally, and the codec endpoint the Web UI
// uses decrypts a payload of the raw history.
func TestHistoryHoldsCiphertextOnly(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	nonce := time.Now().UnixNano()
	phone, mail := newPhone(), newEmail()
	first := fmt.Sprintf("Your parcel code is ZEBRA-%d", nonce)
	reply := fmt.Sprintf("My door code is QUOKKA-%d", nonce)
	subject := fmt.Sprintf("Order PANGOLIN-%d", nonce)

	sms, err := c.Start(ctx, conversations.StartOptions{
		Agent: "alice", Channel: "sms", To: phone, EntryPoint: "ep-sms", First: &model.Compose{Text: first},
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	mustDo(t, func() error { _, err := c.Reply(ctx, conversations.Sync, sms, reply); return err })
	eventually(t, 15*time.Second, "the first message's delivery", func() bool {
		st := show(t, c, sms)
		return len(st.Messages) > 0 && st.Messages[0].Status == model.MessageDelivered
	})
	email, err := c.Start(ctx, conversations.StartOptions{
		Agent: "alice", Channel: "email", To: mail, EntryPoint: "ep-email", Subject: subject, First: &model.Compose{Text: first},
	})
	if err != nil {
		t.Fatalf("start email: %v", err)
	}

	// With the keys: plain reading.
	st := show(t, c, sms)
	if st.Customer != phone || len(st.Messages) < 2 || st.Messages[0].Text != first || st.Messages[1].Text != reply {
		t.Fatalf("the keyed client reads %+v", st)
	}
	emailState := show(t, c, email)
	if emailState.Customer != mail || emailState.Subject != subject {
		t.Fatalf("the keyed client reads %+v", emailState)
	}

	// Without: ciphertext.
	raw, err := client.Dial(client.Options{HostPort: env.Server.FrontendAddress(), Namespace: env.Server.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	secrets := []string{phone, strings.TrimPrefix(phone, "+"), mail, first, reply, subject,
		fmt.Sprint(nonce)} // in case a text is split or escaped
	workflowIDs := []string{
		st.WorkflowID, emailState.WorkflowID,
		api.CustomerWorkflowID(c.Tenant, st.CustomerKey), api.CustomerWorkflowID(c.Tenant, emailState.CustomerKey),
		api.AgentWorkflowID(c.Tenant, "alice"),
	}
	var startInput, summary *commonpb.Payload
	for _, id := range workflowIDs {
		for _, s := range secrets {
			if strings.Contains(id, s) {
				t.Errorf("workflow ID %q holds %q", id, s)
			}
		}
		h := rawHistory(ctx, t, raw, id)
		if len(h.Events) == 0 {
			t.Fatalf("%s: empty history", id)
		}
		assertCiphertextOnly(t, id, h, secrets)
		if id == st.WorkflowID {
			started := h.Events[0].GetWorkflowExecutionStartedEventAttributes()
			startInput = started.GetInput().GetPayloads()[0]
			summary = h.Events[0].GetUserMetadata().GetSummary()
		}
	}

	// The start summary (user metadata) goes through the codec too.
	if summary == nil {
		t.Fatal("the conversation has no start summary")
	}
	if got := string(summary.GetMetadata()[converter.MetadataEncoding]); got != codec.Encoding {
		t.Fatalf("start summary encoding %q, want %q", got, codec.Encoding)
	}

	// The codec endpoint (the Web UI's) decrypts what the raw client read.
	decoded := decodeViaEndpoint(t, startInput, summary)
	var in api.ConversationInput
	if err := converter.GetDefaultDataConverter().FromPayload(decoded[0], &in); err != nil {
		t.Fatalf("decoded start input: %v", err)
	}
	if in.Start == nil || in.Start.To != phone || in.Start.First == nil || in.Start.First.Text != first {
		t.Fatalf("decoded start input %+v", in.Start)
	}
	var line string
	if err := converter.GetDefaultDataConverter().FromPayload(decoded[1], &line); err != nil {
		t.Fatalf("decoded summary: %v", err)
	}
	if !strings.Contains(line, "…"+phone[len(phone)-4:]) || strings.Contains(line, phone[:len(phone)-4]) {
		t.Fatalf("summary %q: want the number masked to its last four digits", line)
	}
}

func rawHistory(ctx context.Context, t *testing.T, c client.Client, workflowID string) *historypb.History {
	t.Helper()
	h := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("%s: %v", workflowID, err)
		}
		h.Events = append(h.Events, e)
	}
	return h
}

// assertCiphertextOnly checks every payload of every event (search
// attributes aside: the server indexes them, so they are never encrypted and
// hold only keyed hashes and names) and the whole history as JSON.
func assertCiphertextOnly(t *testing.T, id string, h *historypb.History, secrets []string) {
	t.Helper()
	for _, e := range h.Events {
		var plain []string
		err := proxy.VisitPayloads(context.Background(), e, proxy.VisitPayloadsOptions{
			SkipSearchAttributes: true,
			Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
				for _, p := range ps {
					if enc := string(p.GetMetadata()[converter.MetadataEncoding]); enc != codec.Encoding {
						plain = append(plain, fmt.Sprintf("%s %q", enc, p.GetData()))
					}
					for _, s := range secrets {
						if bytes.Contains(p.GetData(), []byte(s)) {
							t.Errorf("%s event %d (%s): payload holds %q", id, e.GetEventId(), e.GetEventType(), s)
						}
					}
				}
				return ps, nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) > 0 {
			t.Errorf("%s event %d (%s): unencrypted payloads %v", id, e.GetEventId(), e.GetEventType(), plain)
		}
	}
	js, err := protojson.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if bytes.Contains(js, []byte(s)) {
			t.Errorf("%s: the history JSON holds %q", id, s)
		}
	}
}

// decodeViaEndpoint posts payloads to the codec endpoint as the Web UI does.
func decodeViaEndpoint(t *testing.T, ps ...*commonpb.Payload) []*commonpb.Payload {
	t.Helper()
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, env.CodecURL+"/decode", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", env.Server.Namespace())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /decode: %s: %s", resp.Status, data)
	}
	var out commonpb.Payloads
	if err := protojson.Unmarshal(data, &out); err != nil {
		t.Fatalf("POST /decode answered %s: %v", data, err)
	}
	if len(out.Payloads) != len(ps) {
		t.Fatalf("POST /decode answered %d payloads for %d", len(out.Payloads), len(ps))
	}
	return out.Payloads
}
