// Package sinks runs local, real-protocol stand-ins for the email and SMS
// providers, so `go run ./dev` delivers over actual SMTP and HTTP on loopback
// and every delivered message lands as a file in an outbox directory that
// tests and developers can inspect.
package sinks
