#!/usr/bin/env bash
# Soak test (docs/PERFORMANCE.md): bench/soak.py against a release build,
# 5 minutes by default and never more than 10. Writes
# bench/results/soak.md; exits 1 on any 5xx, a panic, or a dead server.
#   bench/soak.sh [--seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v oha >/dev/null || cargo install oha@1.16.0 --locked
cargo build --release --features ssr --bin oauth2-lab
exec python3 bench/soak.py "$@"
