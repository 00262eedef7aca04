// Package tests runs the service end to end on a real, in-process Temporal
// server with real SMTP and SMS API sinks: the rules of docs/rules.md §2 through the
// same client the starter uses, with real concurrent clients for rules 6–7.
package tests

import (
	"os"
	"testing"

	"outbound/internal/dev/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tb := &testenv.Main{}
	defer tb.Close()
	env = testenv.Start(tb, testenv.Options{Tenants: 96, PeopleTenants: 14, Senders: true, Crowd: true})
	return m.Run()
}
