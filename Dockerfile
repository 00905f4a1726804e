# syntax=docker/dockerfile:1
# driftwatch: multi-stage build, small non-root runtime image.
#
#   docker build -t driftwatch .
#   docker run --rm -v $PWD/my-config:/etc/driftwatch:ro -p 9464:9464 driftwatch
#   docker run --rm driftwatch demo --dir /tmp/demo      # the embedded default, no AWS

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so source edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
# The binary embeds the demo data, model and example analysis configs.
COPY config ./config
COPY demo ./demo
COPY src ./src
RUN touch src/main.rs src/lib.rs && cargo build --release --locked \
    && strip target/release/driftwatch

FROM debian:bookworm-slim AS runtime
# CA certificates for AWS over TLS; curl for the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 driftwatch \
    && useradd --system --uid 10001 --gid driftwatch --home-dir /var/lib/driftwatch --create-home driftwatch
COPY --from=build /src/target/release/driftwatch /usr/local/bin/driftwatch
COPY config /usr/share/driftwatch/examples
USER 10001:10001
WORKDIR /var/lib/driftwatch
ENV DRIFTWATCH_LOG=info \
    DRIFTWATCH_LOG_FORMAT=json \
    DRIFTWATCH_LISTEN=0.0.0.0:9464 \
    DRIFTWATCH_CONFIG=/etc/driftwatch/schedules.yaml
EXPOSE 9464
# SIGTERM: running executions get DRIFTWATCH_GRACE (60s) to finish; give `docker stop -t`
# / ECS stopTimeout more than that.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS http://127.0.0.1:9464/healthz || exit 1
ENTRYPOINT ["driftwatch"]
CMD ["serve"]
