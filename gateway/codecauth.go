package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"outbound/internal/codec"
)

// codecAuth is who the codec endpoint lets in: the Web UI's signed-in users
// (their access token, issued by issuer for audience), or whoever holds the
// token in a file.
type codecAuth struct {
	issuer, audience string
	token            string
}

// codecAuthFromEnv reads CODEC_OIDC_ISSUER and CODEC_OIDC_AUDIENCE, or
// CODEC_TOKEN_FILE; one of them is required: the endpoint decrypts every
// payload it is given.
func codecAuthFromEnv() (codecAuth, error) {
	a := codecAuth{issuer: os.Getenv("CODEC_OIDC_ISSUER"), audience: os.Getenv("CODEC_OIDC_AUDIENCE")}
	if file := os.Getenv("CODEC_TOKEN_FILE"); file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return a, fmt.Errorf("CODEC_TOKEN_FILE: %w", err)
		}
		if a.token = strings.TrimSpace(string(data)); len(a.token) < 16 {
			return a, errors.New("CODEC_TOKEN_FILE: the token must have at least 16 characters")
		}
	}
	switch {
	case a.issuer != "" && a.audience == "":
		return a, errors.New("CODEC_OIDC_AUDIENCE is not set: the access tokens the codec endpoint accepts are those issued for it")
	case a.issuer == "" && a.token == "":
		return a, errors.New("the codec endpoint decrypts every payload: set CODEC_OIDC_ISSUER and CODEC_OIDC_AUDIENCE (the Web UI's sign-in) or CODEC_TOKEN_FILE")
	}
	return a, nil
}

// authorizer builds the check, discovering the issuer's keys.
func (a codecAuth) authorizer(ctx context.Context) (codec.Authorizer, error) {
	var checks []codec.Authorizer
	if a.token != "" {
		checks = append(checks, codec.BearerToken(a.token))
	}
	if a.issuer != "" {
		provider, err := oidc.NewProvider(ctx, a.issuer)
		if err != nil {
			return nil, fmt.Errorf("CODEC_OIDC_ISSUER: %w", err)
		}
		checks = append(checks, codec.AccessToken(provider.Verifier(&oidc.Config{ClientID: a.audience})))
	}
	return codec.AnyOf(checks...), nil
}

func (a codecAuth) String() string {
	var ways []string
	if a.issuer != "" {
		ways = append(ways, "access tokens of "+a.issuer+" for "+a.audience)
	}
	if a.token != "" {
		ways = append(ways, "the token in CODEC_TOKEN_FILE")
	}
	return strings.Join(ways, " or ")
}
