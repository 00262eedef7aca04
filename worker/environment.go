package main

import (
	"context"
	"errors"
	"os"
	"strconv"

	"go.temporal.io/sdk/client"

	"outbound/activities"
	"outbound/internal/address"
	"outbound/internal/archive"
	"outbound/internal/codec"
	"outbound/internal/email"
	"outbound/internal/imagestore"
	"outbound/internal/sms"
)

// env is where the worker runs: the Temporal connection, the channel clients
// and the key for customer pseudonyms.
type env struct {
	clientOptions client.Options
	codecKeys     []string // the payload keys' ids (never the keys)
	email         activities.EmailSender
	sms           activities.SMSSender
	idKey         []byte
	publicURL     string            // where the SMS provider posts status callbacks
	images        *imagestore.Store // hosts inline images (nil: none configured)
	archive       *archive.Store    // older transcript pages, in the image bucket (nil: none)
}

// productionEnvironment reads every setting from the environment; secrets are
// never logged.
func productionEnvironment(ctx context.Context) (*env, error) {
	opts, err := defaultClientOptions()
	if err != nil {
		return nil, err
	}
	key := os.Getenv(address.KeyEnv)
	if key == "" {
		return nil, errors.New(address.KeyEnv + " must be set (the secret that turns customer addresses into workflow IDs)")
	}
	keys, err := codec.FromEnv()
	if err != nil {
		return nil, err
	}
	if keys.Dev() {
		return nil, errors.New(codec.KeysEnv + " or " + codec.KeysFileEnv + " must be set (the keys that encrypt payloads)")
	}
	codec.Configure(&opts, keys)
	smtpPort, err := strconv.Atoi(envOr("SMTP_PORT", "587"))
	if err != nil {
		return nil, errors.New("SMTP_PORT must be a number")
	}
	store, err := imageStore(ctx)
	if err != nil {
		return nil, err
	}
	var arch *archive.Store
	if store != nil {
		if arch, err = archive.New(store, keys); err != nil {
			return nil, err
		}
	}
	return &env{
		clientOptions: opts,
		images:        store,
		archive:       arch,
		email: &email.Sender{
			Host: os.Getenv("SMTP_HOST"), Port: smtpPort,
			Username: os.Getenv("SMTP_USERNAME"), Password: os.Getenv("SMTP_PASSWORD"),
			StartTLS: os.Getenv("SMTP_STARTTLS") != "false",
		},
		sms: &sms.Client{
			BaseURL: envOr("SMS_API_URL", "https://api.twilio.com"), AccountSID: os.Getenv("SMS_ACCOUNT_SID"),
			AuthToken: os.Getenv("SMS_AUTH_TOKEN"),
		},
		idKey:     []byte(key),
		publicURL: os.Getenv("PUBLIC_URL"),
		codecKeys: keys.IDs(),
	}, nil
}

// imageStore reads the S3 settings; without S3_BUCKET emails carry no images
// and long conversations keep their whole transcript in their state.
func imageStore(ctx context.Context) (*imagestore.Store, error) {
	cfg, ok := imagestore.ConfigFromEnv()
	if !ok {
		return nil, nil
	}
	return imagestore.New(ctx, cfg)
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
