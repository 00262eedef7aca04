#!/bin/sh
# tls-setup (one-shot, before anything that speaks TLS): gives each service
# the certificates it needs, and nothing else, in its own volume.
#
# deploy/tls on the host (`go run ./deploy/cluster --write-certs deploy/tls`)
# holds every key, the CA's included, written 0600 by whoever ran that. It is
# mounted here only. Each target below is a named volume that only its
# services mount; its files belong to the uid those services run as
# (docker-compose.yml sets `user:` to match), keys 0400, certificates 0444.
# The CA's key is never copied: no container can sign a certificate.
#
# Runs on every `docker compose up`, so new certificates in deploy/tls reach
# the services on their next start.
set -eu

source=${TLS_SOURCE:-/source}
target=${TLS_TARGET:-/target}

# install DIR OWNER FILE...: DIR holds exactly FILEs, owned by OWNER.
install() {
	dir=$target/$1 owner=$2
	shift 2
	mkdir -p "$dir"
	rm -f "$dir"/*
	for f; do
		cp "$source/$f" "$dir/$f"
		case $f in
		*-key.pem) chmod 0400 "$dir/$f" ;;
		*) chmod 0444 "$dir/$f" ;;
		esac
		chown "$owner" "$dir/$f"
	done
}

# The Temporal server (uid 1000): the frontend's and the internode pair.
install temporal 1000:1000 ca.pem frontend.pem frontend-key.pem internode.pem internode-key.pem
# The namespace setup job and the Web UI (uid 1000): a client of the frontend.
install admin 1000:1000 ca.pem client.pem client-key.pem
# The worker, the gateway and the desktop (distroless nonroot, uid 65532).
install outbound 65532:65532 ca.pem client.pem client-key.pem

echo "tls-setup: certificates installed for temporal, admin and outbound"
