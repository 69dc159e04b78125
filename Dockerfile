# The kubesim binary and the shipped scenarios, for running sweeps as a
# Kubernetes Indexed Job (deploy/sweep-job.yaml).
#   docker build -t kubesim:latest .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin kubesim

FROM debian:bookworm-slim
COPY --from=build /src/target/release/kubesim /usr/local/bin/kubesim
COPY scenarios /scenarios
ENTRYPOINT []
CMD ["kubesim", "--help"]
