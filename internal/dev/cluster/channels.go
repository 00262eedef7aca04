package cluster

import (
	"errors"
	"path/filepath"

	"go.uber.org/zap"

	"outbound/internal/dev/fakes3"
	"outbound/internal/dev/sinks"
	"outbound/internal/imagestore"
)

// channels are the stand-ins for the outside world, run inside the cluster
// command: an SMTP server and a Twilio-compatible SMS API that write every
// message to DIR/outbox (the SMS one posts signed status callbacks to the
// gateway), and an S3-compatible store under DIR/s3. In production the
// worker's SMTP_*, SMS_* and S3_* point at the real services instead.
type channels struct {
	smtp *sinks.SMTPSink
	sms  *sinks.SMSSink
	s3   *fakes3.Server
}

func startChannels(dir string, p Ports, smsToken string, log *zap.Logger) (*channels, error) {
	outbox := filepath.Join(dir, "outbox")
	ch := &channels{}
	var err error
	if ch.smtp, err = sinks.StartSMTP(hostPort(p.SMTPSink), outbox, log.Named("smtp")); err != nil {
		return nil, err
	}
	if ch.sms, err = sinks.StartSMS(hostPort(p.SMSSink), outbox, log.Named("sms")); err != nil {
		return nil, errors.Join(err, ch.close())
	}
	ch.sms.SetAuthToken(smsToken)
	if ch.s3, err = fakes3.Start(filepath.Join(dir, "s3"), hostPort(p.S3)); err != nil {
		return nil, errors.Join(err, ch.close())
	}
	return ch, nil
}

// s3Env is the S3 settings of every product process.
func (ch *channels) s3Env() []string {
	cfg := ch.s3.Config(imagestore.DevBucket)
	return []string{
		"S3_ENDPOINT=" + cfg.Endpoint, "S3_REGION=us-east-1", "S3_BUCKET=" + cfg.Bucket,
		"S3_ACCESS_KEY=" + cfg.AccessKey, "S3_SECRET_KEY=" + cfg.SecretKey,
		"S3_PATH_STYLE=true", "S3_PUBLIC_URL=" + cfg.Endpoint + "/" + cfg.Bucket,
	}
}

func (ch *channels) close() error {
	var errs []error
	if ch.smtp != nil {
		errs = append(errs, ch.smtp.Close())
	}
	if ch.sms != nil {
		errs = append(errs, ch.sms.Close())
	}
	if ch.s3 != nil {
		errs = append(errs, ch.s3.Close())
	}
	return errors.Join(errs...)
}
