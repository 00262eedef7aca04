package cluster

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// clientEnv is what any client of the cluster needs: the frontend with mTLS
// (the SDK's envconfig names), the namespace, the customer-id key and the
// payload keys. The product's processes, the starter and cluster.env share it.
func (c *Cluster) clientEnv() []string {
	return []string{
		"TEMPORAL_ADDRESS=" + hostPort(c.Ports.Frontend), "TEMPORAL_NAMESPACE=" + Namespace,
		"TEMPORAL_TLS=true",
		"TEMPORAL_TLS_CLIENT_CERT_PATH=" + c.pki.ClientCert, "TEMPORAL_TLS_CLIENT_KEY_PATH=" + c.pki.ClientKey,
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH=" + c.pki.CA, "TEMPORAL_TLS_SERVER_NAME=" + serverName,
		"OUTBOUND_ID_KEY=" + c.idKey,
		"OUTBOUND_CODEC_KEYS_FILE=" + c.secrets.CodecKeys,
	}
}

// productEnv adds what the worker and the gateway share: the SMS account's
// token (signatures), the gateway's public URL and the S3 bucket.
func (c *Cluster) productEnv() []string {
	env := append(baseEnv(c.binDir), c.clientEnv()...)
	env = append(env, "SMS_AUTH_TOKEN="+c.smsToken, "PUBLIC_URL="+c.GatewayURL())
	return append(env, c.channels.s3Env()...)
}

func (c *Cluster) workerProcess(i int) *process {
	env := append(c.productEnv(),
		"SMTP_HOST=127.0.0.1", "SMTP_PORT="+strconv.Itoa(c.Ports.SMTPSink), "SMTP_STARTTLS=false",
		"SMS_API_URL=http://"+hostPort(c.Ports.SMSSink), "SMS_ACCOUNT_SID=ACcluster",
		"METRICS_ADDR=127.0.0.1:0")
	var args []string
	for _, d := range c.directories {
		args = append(args, "--directory", d)
	}
	name := fmt.Sprintf("worker-%d", i+1)
	return &process{name: name, bin: filepath.Join(c.binDir, "worker"), args: args, env: env,
		logPath: filepath.Join(c.logDir, name+".log")}
}

func (c *Cluster) gatewayProcess() *process {
	env := append(c.productEnv(),
		"GATEWAY_LISTEN="+hostPort(c.Ports.Gateway),
		"SMTP_LISTEN="+hostPort(c.Ports.SMTPIn),
		"CODEC_LISTEN="+hostPort(c.Ports.Codec), "CODEC_ORIGIN="+c.UIURL(),
		"CODEC_TOKEN_FILE="+c.secrets.CodecToken)
	return &process{name: "gateway", bin: filepath.Join(c.binDir, "gateway"), env: env,
		logPath: filepath.Join(c.logDir, "gateway.log")}
}

// desktopProcess runs the Agent Desktop when an OpenID Connect provider is
// configured (agents sign in there); nil otherwise.
func (c *Cluster) desktopProcess() *process {
	if len(c.desktopEnv) == 0 {
		return nil
	}
	env := append(baseEnv(c.binDir), c.clientEnv()...)
	env = append(env, c.channels.s3Env()...)
	env = append(env, c.desktopEnv...)
	env = append(env, "DESKTOP_LISTEN="+hostPort(c.Ports.Desktop), "DESKTOP_URL="+c.DesktopURL(),
		"DESKTOP_SESSION_KEY_FILE="+c.secrets.DesktopSessionKey)
	return &process{name: "desktop", bin: filepath.Join(c.binDir, "desktop"), env: env,
		logPath: filepath.Join(c.logDir, "desktop.log")}
}
