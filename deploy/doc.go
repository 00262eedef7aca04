// Package deploy holds what the docker-compose.yml stack mounts (the Temporal
// schema and namespace setup scripts, the server's dynamic config, the MinIO
// bucket setup) and the test that validates the compose file against the code,
// since Docker cannot run where the tests do.
package deploy
