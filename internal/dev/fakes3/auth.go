package fakes3

import (
	"context"
	"crypto/hmac"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"outbound/internal/imagestore"
)

// signedByFake reports whether r carries an AWS Signature Version 4 made
// with the fake's credentials (imagestore.DevAccessKey, imagestore.DevSecretKey) in its
// Authorization header. Found: any request with any Authorization header
// could list, write and delete everything. The signature is made again over
// the headers the client says it signed, as S3 checks it; the body's hash
// is the one the client declared (the fake does not check the body).
func signedByFake(r *http.Request) bool {
	fields, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	if !ok {
		return false
	}
	auth := map[string]string{}
	for _, f := range strings.Split(fields, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		auth[k] = v
	}
	scope := strings.Split(auth["Credential"], "/") // key/date/region/service/aws4_request
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if len(scope) != 5 || scope[0] != imagestore.DevAccessKey || err != nil || auth["Signature"] == "" {
		return false
	}
	again := &http.Request{Method: r.Method, URL: r.URL, Host: r.Host, Header: http.Header{}, ContentLength: r.ContentLength}
	for _, name := range strings.Split(auth["SignedHeaders"], ";") {
		if name != "host" && name != "content-length" {
			again.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: imagestore.DevAccessKey, SecretAccessKey: imagestore.DevSecretKey}
	if signer.SignHTTP(context.Background(), creds, again, r.Header.Get("X-Amz-Content-Sha256"), scope[3], scope[2], at) != nil {
		return false
	}
	_, want, _ := strings.Cut(again.Header.Get("Authorization"), "Signature=")
	return hmac.Equal([]byte(want), []byte(auth["Signature"]))
}
