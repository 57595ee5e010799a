#!/usr/bin/env bash
# Fuzzing (docs/PERFORMANCE.md): the four cargo-fuzz targets in fuzz/
# (token request, Basic auth, authorization request, registration JSON),
# each for a bounded time, then the corpus minimised back into
# fuzz/corpus. cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 lets
# the stable toolchain (the only one this machine has) provide them. The
# first build takes about 8 minutes.
#   bench/fuzz.sh [seconds per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export PATH="$HOME/.cargo/bin:$PATH" RUSTC_BOOTSTRAP=1
secs="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz@0.13.2 --locked
cargo fuzz build -O
for target in token_request basic_auth authorize_request registration_json; do
  echo "fuzz: $target for ${secs}s"
  cargo fuzz run -O "$target" -- -max_total_time="$secs" -rss_limit_mb=2048 2>&1 | grep -E "^#[0-9]+ +DONE|Done [0-9]+ runs|ERROR|panicked" || true
  test -z "$(ls -A artifacts/"$target" 2>/dev/null)" || { echo "fuzz: $target found a crash, see fuzz/artifacts/$target" >&2; exit 1; }
  cargo fuzz cmin -O "$target" >/dev/null 2>&1
done
echo "fuzz: corpus sizes: $(for d in corpus/*; do printf '%s %s  ' "${d#corpus/}" "$(ls "$d" | wc -l)"; done)"
