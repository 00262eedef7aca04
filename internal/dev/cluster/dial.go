package cluster

import (
	"context"

	"go.temporal.io/sdk/client"

	"outbound/internal/codec"
	"outbound/internal/conversations"
)

// Conversations dials the frontend as the product's clients do (mTLS, the
// payload keys) and returns the product's client for tenant. Close the
// Temporal client when done.
func (c *Cluster) Conversations(ctx context.Context, tenant string) (*conversations.Client, error) {
	tlsConfig, err := c.pki.clientTLS()
	if err != nil {
		return nil, err
	}
	keys, err := codec.LoadFile(c.secrets.CodecKeys)
	if err != nil {
		return nil, err
	}
	opts := client.Options{HostPort: c.FrontendAddress(), Namespace: Namespace,
		ConnectionOptions: client.ConnectionOptions{TLS: tlsConfig}, Logger: discardLogger}
	codec.Configure(&opts, keys)
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &conversations.Client{Temporal: tc, IDKey: []byte(c.idKey), Tenant: tenant}, nil
}

// SMSAuthToken is the SMS account's token: provider webhooks are signed with it.
func (c *Cluster) SMSAuthToken() string { return c.smsToken }
