# syntax=docker/dockerfile:1
# driftwatch: multi-stage build, small non-root runtime image.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so source edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
COPY src ./src
RUN touch src/main.rs src/lib.rs && cargo build --release --locked \
    && strip target/release/driftwatch

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 driftwatch \
    && useradd --system --uid 10001 --gid driftwatch --home-dir /var/lib/driftwatch --create-home driftwatch
COPY --from=build /src/target/release/driftwatch /usr/local/bin/driftwatch
COPY config /etc/driftwatch/examples
USER driftwatch:driftwatch
WORKDIR /var/lib/driftwatch
ENV DRIFTWATCH_LOG=info
ENTRYPOINT ["driftwatch"]
CMD ["--help"]
