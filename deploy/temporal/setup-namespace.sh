#!/bin/sh
# temporal-setup (one-shot, once the server is healthy): creates the namespace
# and registers the custom search attributes the conversations upsert.
#
#   TEMPORAL_ADDRESS      frontend host:port
#   TEMPORAL_NAMESPACE    namespace the worker and the gateway use
#   NAMESPACE_RETENTION   how long closed workflows are kept (new namespace only)
#   SEARCH_ATTRIBUTES_FILE  "Name:Type" lines: deploy/temporal/search-attributes.txt,
#                         which the cluster command registers too
#                         (deploy/compose_test.go checks it against
#                         api.SearchAttributes())
#   TEMPORAL_TLS_*        the client certificate, read by the temporal CLI
#
# Idempotent: only a missing namespace or attribute is created, so it runs on
# every `docker compose up`.
set -eu

addr=${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is not set}
ns=${TEMPORAL_NAMESPACE:-default}
retention=${NAMESPACE_RETENTION:-720h}
attrs=$(cat "${SEARCH_ATTRIBUTES_FILE:?SEARCH_ATTRIBUTES_FILE is not set}")

# retry CMD...: the frontend may still be warming up, and a new namespace only
# becomes visible to every service after their namespace cache refresh.
retry() {
	n=0
	until "$@"; do
		n=$((n + 1))
		if [ "$n" -ge 30 ]; then
			echo "temporal-setup: giving up on: $*" >&2
			return 1
		fi
		sleep 2
	done
}

retry temporal operator cluster health --address "$addr"

# ensure_namespace succeeds once the namespace exists, creating it if need be
# (a create that lost a race is followed by a describe that succeeds).
ensure_namespace() {
	if temporal operator namespace describe --address "$addr" --namespace "$ns" >/dev/null 2>&1; then
		echo "temporal-setup: namespace $ns exists"
		return 0
	fi
	temporal operator namespace create --address "$addr" --namespace "$ns" --retention "$retention"
}
retry ensure_namespace

# list_attrs prints the namespace's search attributes, one per line.
list_attrs() {
	temporal operator search-attribute list --address "$addr" --namespace "$ns"
}

existing=$(retry list_attrs)
added=0
for attr in $attrs; do
	name=${attr%%:*}
	type=${attr#*:}
	if printf '%s\n' "$existing" | grep -qw -- "$name"; then
		echo "temporal-setup: search attribute $name exists"
	else
		retry temporal operator search-attribute create --address "$addr" --namespace "$ns" \
			--name "$name" --type "$type"
		added=1
	fi
done

# Check the result rather than trusting exit codes.
existing=$(retry list_attrs)
for attr in $attrs; do
	name=${attr%%:*}
	if ! printf '%s\n' "$existing" | grep -qw -- "$name"; then
		echo "temporal-setup: search attribute $name is missing after creation" >&2
		exit 1
	fi
done

# Every service caches namespaces (system.namespaceCacheRefreshInterval, 2s):
# give them time to see the new attributes before the worker upserts them.
if [ "$added" = 1 ]; then
	sleep 5
fi
echo "temporal-setup: namespace $ns ready with: $attrs"
