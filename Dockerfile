# The worker, the gateway, the desktop, the starter and the healthcheck probe
# in one small image. Each compose service picks its binary with `command`
# (default: the worker serving the example directory); the starter runs in
# any of them:
#   docker compose exec worker starter agents
FROM golang:1.27.3 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -o /out/ ./worker ./gateway ./desktop ./starter ./probe

FROM gcr.io/distroless/static-debian12:nonroot
ENV PATH=/usr/local/bin:/usr/bin:/bin
COPY --from=build /out/ /usr/local/bin/
# Tenant directories and the walk-through's files, at the paths the README
# uses (run from /etc/outbound: examples/acme.yaml, examples/followup.html).
COPY examples/ /etc/outbound/examples/
WORKDIR /etc/outbound
# 8080: gateway webhooks; 8081: gateway codec endpoint; 2525: gateway SMTP;
# 8088: desktop; 9090: metrics, /healthz and /readyz of each process.
EXPOSE 8080 8081 2525 8088 9090
CMD ["/usr/local/bin/worker", "--directory", "/etc/outbound/examples/acme.yaml"]
