# syntax=docker/dockerfile:1
# flashcard-flow: build with the Rust toolchain, run from a small Debian image as a
# non-root user. Data (accounts.sqlite3, collections, media, the control socket) lives in
# the /data volume; `docker exec <container> adminctl ...` finds it with no flags.

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock schema.sql ./
COPY proto proto
COPY server server
COPY adminctl adminctl
RUN cargo build --release --locked --bins

FROM debian:bookworm-slim
RUN groupadd --system --gid 10001 flashcard-flow \
    && useradd --system --uid 10001 --gid flashcard-flow --home-dir /data \
       --shell /usr/sbin/nologin flashcard-flow \
    && mkdir /data && chown flashcard-flow:flashcard-flow /data && chmod 0750 /data
COPY --from=build /src/target/release/flashcard-flow-server /src/target/release/adminctl /usr/local/bin/
ENV FLASHCARD_FLOW_DATA_DIR=/data \
    FLASHCARD_FLOW_LISTEN=0.0.0.0:8080
USER flashcard-flow
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["flashcard-flow-server", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["flashcard-flow-server"]
