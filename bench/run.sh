#!/usr/bin/env bash
# The benchmark harness: builds the lab and the peer servers, installs
# oha, then runs bench/harness.py, which prints the ratios and writes
# bench/results/bench.md and bench.json (figures and targets:
# docs/PERFORMANCE.md). Never prompts.
#   bench/run.sh [--rounds N] [--seconds S] [--memory-runs N]
# Peers: oxide-auth + oxide-auth-axum and a bare-axum floor (bench/peers,
# crates.io), @node-oauth/oauth2-server on express (npm), Authlib on Flask
# under gunicorn -w 1 (PyPI). Needs two cores; the servers use core 0 and
# oha core 1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

OHA_VERSION=1.16.0
if ! oha --version 2>/dev/null | grep -q "$OHA_VERSION"; then
  echo "bench: installing oha $OHA_VERSION (a few minutes)"
  cargo install oha@"$OHA_VERSION" --locked
fi
command -v taskset >/dev/null || { echo "bench: taskset (util-linux) is needed to pin cores" >&2; exit 1; }

echo "bench: building the lab (release) and the Rust peers"
scripts/setup.sh run >/dev/null
# The same build `make run` serves (and bench/pages.sh weighs), so the two
# scripts share one release build instead of rebuilding each other's.
cargo leptos build --release --split
cargo build --release --locked --manifest-path bench/peers/Cargo.toml
echo "bench: installing the node and Python peers"
bench/peers/setup-node-authlib.sh

# PostgreSQL for the lab's postgres backend, on the servers' core like
# the servers themselves, in a temporary directory; stopped on exit.
pg_dir=$(mktemp -d /tmp/oauth2-lab-bench-pg.XXXXXX)
LAB_BENCH_POSTGRES=$(taskset -c 0 scripts/postgres.sh start "$pg_dir")
export LAB_BENCH_POSTGRES
trap 'scripts/postgres.sh stop "$pg_dir"' EXIT

python3 bench/harness.py "$@"
