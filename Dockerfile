# syntax=docker/dockerfile:1
# Every Agora binary in one image (the chart runs each with its own command:
# /usr/local/bin/gateway, customers, inventory, orders, reviews, saga, plus
# agoractl for operators). Two stages on Debian bookworm, the stack the code
# is written for (gRPC 1.51, Protobuf 3.21, libpqxx 6.4, librdkafka 2.0):
#
#   docker build -t registry.example.com/agora:0.1.0 .
#
# Pin the base images by digest in your registry mirror
# (--build-arg DEBIAN=debian:bookworm-20241202@sha256:...); the chart refuses
# an unpinned image. tests/ops/dockerfile_test.sh checks this file against the
# build: every library the binaries link comes from the runtime stage's
# packages, and every binary the chart runs is built and copied.
ARG DEBIAN=debian:bookworm
ARG DEBIAN_SLIM=debian:bookworm-slim

FROM ${DEBIAN} AS build
# Build packages: the same list as ./agora install, without the test-only
# ones (PostgreSQL server, clang, the grpc-gateway peer).
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config ccache \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev \
      libpqxx-dev librdkafka-dev prometheus-cpp-dev catch2 libboost-dev libsodium-dev libssl-dev \
      nlohmann-json3-dev libgoogle-perftools-dev golang-github-grpc-ecosystem-grpc-gateway-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    && ninja -C /build gateway customers inventory orders reviews saga agoractl \
    && mkdir -p /out \
    && for b in gateway customers inventory orders reviews saga; do cp "/build/$b/$b" /out/; done \
    && cp /build/tools/agoractl /out/ \
    && strip /out/*

FROM ${DEBIAN_SLIM}
# Runtime libraries only (their dependencies come with them).
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libgrpc++1.51 libprotobuf32 libabsl20220623 libpqxx-6.4 librdkafka++1 \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libsodium23 libssl3 libtcmalloc-minimal4 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 agora \
    && useradd --system --uid 10001 --gid agora --no-create-home --shell /usr/sbin/nologin agora
COPY --from=build /out/ /usr/local/bin/
# Non-root; the chart also runs it with a read-only root filesystem (nothing
# writes outside /tmp) and every capability dropped.
USER 10001:10001
WORKDIR /tmp
# gRPC 50061-50065, metrics 9161-9165, the gateway's HTTP 8080 (each binary's default).
EXPOSE 8080 50061 50062 50063 50064 50065 9161 9162 9163 9164 9165
ENTRYPOINT []
CMD ["/usr/local/bin/gateway"]
