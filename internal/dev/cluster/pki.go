package cluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is the cluster's certificate authority and the certificates it signs,
// generated into DIR/tls on first start and kept (a resume keeps trusting
// the same clients).
type pki struct {
	CA string
	// Frontend: what the frontend presents to clients.
	FrontendCert, FrontendKey string
	// Internode: what history, matching and the internal worker present to
	// each other, and to the frontend as its clients.
	InternodeCert, InternodeKey string
	// Client: for the product's processes, the starter and the Web UI.
	ClientCert, ClientKey string
}

// serverName is the name every server certificate carries (with 127.0.0.1).
const serverName = "localhost"

const certLifetime = 2 * 365 * 24 * time.Hour

func loadPKI(dir string) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &pki{
		CA:           filepath.Join(dir, "ca.pem"),
		FrontendCert: filepath.Join(dir, "frontend.pem"), FrontendKey: filepath.Join(dir, "frontend-key.pem"),
		InternodeCert: filepath.Join(dir, "internode.pem"), InternodeKey: filepath.Join(dir, "internode-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client-key.pem"),
	}
	if _, err := os.Stat(p.ClientKey); err == nil {
		return p, nil
	}
	caKey, caCert, err := newCA(dir)
	if err != nil {
		return nil, err
	}
	for _, c := range []struct {
		cert, key, cn string
		usage         []x509.ExtKeyUsage
	}{
		{p.FrontendCert, p.FrontendKey, "temporal-frontend", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{p.InternodeCert, p.InternodeKey, "temporal-internode", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
		{p.ClientCert, p.ClientKey, "outbound-client", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	} {
		if err := issue(caKey, caCert, c.cert, c.key, c.cn, c.usage); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// WriteCerts creates the CA and the certificates in dir unless they exist:
// the cluster's own, or the compose stack's (deploy/tls).
func WriteCerts(dir string) error {
	_, err := loadPKI(dir)
	return err
}

func newCA(dir string) (*ecdsa.PrivateKey, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "outbound cluster CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(certLifetime),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	// The CA's key stays in DIR/tls to sign more clients later.
	if err := writePEM(filepath.Join(dir, "ca-key.pem"), key); err != nil {
		return nil, nil, err
	}
	return key, cert, os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func issue(caKey *ecdsa.PrivateKey, ca *x509.Certificate, certFile, keyFile, cn string, usage []x509.ExtKeyUsage) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(certLifetime),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usage,
		DNSNames: []string{serverName}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	if err := writePEM(keyFile, key); err != nil {
		return err
	}
	return os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writePEM(file string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

// ClientTLS is the TLS configuration of a client of the frontend: the
// cluster's CA and the client certificate.
func (p *pki) clientTLS() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(p.ClientCert, p.ClientKey)
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(p.CA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("no certificate in " + p.CA)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}, nil
}
