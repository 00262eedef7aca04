#!/bin/sh
# temporal-schema (one-shot, before the server starts): creates the Temporal
# databases in PostgreSQL and brings both schemas to the version this image's
# temporal-sql-tool ships, which is the server's own version (same tag).
#
# Idempotent: create-database ignores an existing database, setup-schema keeps
# a newer version, update-schema applies only missing versions. Running it
# again after bumping both image tags is how the schema is upgraded.
#
# Connection: SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD (read by
# temporal-sql-tool itself); TEMPORAL_DB and TEMPORAL_VISIBILITY_DB name the
# databases.
set -eu

: "${SQL_PLUGIN:=postgres12}"
export SQL_PLUGIN

setup() { # database, embedded schema
	echo "temporal-schema: $1 ($2)"
	temporal-sql-tool --db "$1" create-database
	temporal-sql-tool --db "$1" setup-schema -v 0.0
	temporal-sql-tool --db "$1" update-schema --schema-name "$2"
}

setup "${TEMPORAL_DB:-temporal}" postgresql/v12/temporal
setup "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}" postgresql/v12/visibility
echo "temporal-schema: done"
