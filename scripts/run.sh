#!/usr/bin/env bash
# The one run command: installs what is missing, builds in release mode and
# serves the whole app (default http://127.0.0.1:3000). Arguments go to the
# binary, e.g. scripts/run.sh --addr 0.0.0.0:8080 --public-url https://lab.example.org
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
export PATH="$HOME/.cargo/bin:$PATH"
cargo leptos build --release --split
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
exec target/release/oauth2-lab "$@"
