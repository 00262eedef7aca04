package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"

	"go.temporal.io/sdk/temporal"

	"outbound/internal/delivery"
	"outbound/internal/email"
	"outbound/internal/metrics"
	"outbound/internal/model"
	"outbound/internal/sms"
)

// DeliverSMS sends one SMS. The idempotency key (conversation + the
// message's key) makes the provider drop a retried attempt it already
// accepted; the status callbacks name the message by its key too.
func (a *Activities) DeliverSMS(ctx context.Context, d model.Delivery) (model.Delivered, error) {
	defer recordLatency(ctx, model.SMS, time.Now())
	callback := ""
	if a.PublicURL != "" {
		callback = sms.StatusCallbackURL(a.PublicURL, d.Conversation, d.Key)
	}
	sent, err := a.SMS.SendWithCallback(ctx, d.From, d.To, d.Text, d.IdempotencyKey(), callback)
	if err != nil {
		return model.Delivered{}, deliveryError(err)
	}
	return model.Delivered{ProviderID: sent.SID, Segments: sent.Segments}, nil
}

// DeliverEmail sends one email. Its Message-ID is derived from the message's
// key, so every attempt carries the same one and threading can find the
// conversation (and a bounce the message).
func (a *Activities) DeliverEmail(ctx context.Context, d model.Delivery) (model.Delivered, error) {
	defer recordLatency(ctx, model.Email, time.Now())
	id := email.MessageIDFor(d.Conversation, d.Key, d.From)
	err := a.Email.Send(ctx, email.Message{
		From:      d.From,
		To:        d.To,
		Subject:   d.Subject,
		Text:      d.Text,
		HTML:      d.HTML,
		MessageID: id,
		Headers:   map[string]string{"X-Conversation-Id": d.Conversation},
	})
	if err != nil {
		return model.Delivered{}, deliveryError(err)
	}
	return model.Delivered{ProviderID: id}, nil
}

// CheckSMS asks the SMS provider what became of sent messages whose status
// callbacks did not come, by their sids. A sid the provider cannot answer
// for is left out (the message stays as it is); any other failure is retried.
func (a *Activities) CheckSMS(ctx context.Context, sids []string) ([]model.ProviderStatus, error) {
	var out []model.ProviderStatus
	for _, sid := range sids {
		st, err := a.SMS.Status(ctx, sid)
		if delivery.IsPermanent(err) {
			activity.GetLogger(ctx).Warn("the provider cannot tell a message's status", "sid", sid, "error", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// recordLatency times one provider call, successful or not.
func recordLatency(ctx context.Context, channel model.Channel, start time.Time) {
	activity.GetMetricsHandler(ctx).WithTags(map[string]string{"channel": string(channel)}).
		Timer(metrics.DeliveryLatency).Record(time.Since(start))
}

// deliveryError stops retries on a permanent refusal (bad number, SMTP 5xx);
// anything else is retried with backoff by the activity's retry policy.
func deliveryError(err error) error {
	if delivery.IsPermanent(err) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "DeliveryFailed", err)
	}
	return err
}
