package deploy

import "embed"

// Temporal holds the server settings, dynamic config, search attributes and
// schema script that docker-compose.yml mounts, for the cluster command to
// use the same ones.
//
//go:embed temporal
var Temporal embed.FS
