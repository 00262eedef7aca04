// Package deploy holds what the docker-compose.yml stack mounts (the Temporal
// schema and namespace setup scripts, the server's dynamic config, the
// certificates' installer, the object store's setup) and the tests that
// validate the compose file against the code, since Docker cannot run where
// the tests do.
package deploy
