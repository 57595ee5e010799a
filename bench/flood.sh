#!/usr/bin/env bash
# Flood test (docs/PERFORMANCE.md): bench/flood.py against a release
# build. About five minutes. Writes bench/results/flood.md and flood.json;
# exits 1 on any 5xx other than 503, a panic, or a dead server.
#   bench/flood.sh [--requests N] [--seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v oha >/dev/null || cargo install oha@1.16.0 --locked
cargo build --release --features ssr --bin oauth2-lab
exec python3 bench/flood.py "$@"
