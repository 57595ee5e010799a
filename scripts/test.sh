#!/usr/bin/env bash
# The one test command: installs what is missing, then runs every check and
# every test, the browser tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# A fresh clone gains nothing from incremental caches, which are the biggest
# part of target/ on disk.
if [ "${CI:-}" = "true" ]; then export CARGO_INCREMENTAL=0; fi

current="setup"
step() { current="$*"; echo; echo "== $*"; }
# On failure, say which step failed and how much disk was left, last, where
# a reader of the log's tail sees it.
trap 'rc=$?; if [ $rc -ne 0 ]; then echo; echo "FAILED at: $current (exit $rc)"; df -h . | tail -1; fi' EXIT

step "cargo fmt --check"
cargo fmt --check

step "clippy, server build (ssr), with tests"
cargo clippy --features ssr --all-targets -- -D warnings

step "clippy, browser build (hydrate, wasm32)"
cargo clippy --lib --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings

# A PostgreSQL server of our own, on a free loopback port in a temporary
# directory, stopped on exit.
pg_dir=$(mktemp -d /tmp/oauth2-lab-pg.XXXXXX)
LAB_TEST_POSTGRES=$(scripts/postgres.sh start "$pg_dir")
export LAB_TEST_POSTGRES
trap 'rc=$?; scripts/postgres.sh stop "$pg_dir"; if [ $rc -ne 0 ]; then echo; echo "FAILED at: $current (exit $rc)"; df -h . | tail -1; fi' EXIT

step "cargo test (unit and integration: the real app on loopback ports, state in memory; replicas on PostgreSQL)"
cargo test --features ssr

step "the integration suite again, with the state in SQLite"
LAB_TEST_DATABASE=sqlite cargo test --features ssr --test it

step "the integration suite again, with the state in PostgreSQL"
LAB_TEST_DATABASE="$LAB_TEST_POSTGRES" cargo test --features ssr --test it

step "cargo leptos build --split (server binary, and the wasm split into a chunk per page)"
cargo leptos build --split

step "Playwright in headless Chromium"
# A free loopback port for the server under test.
E2E_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
export E2E_PORT
(cd end2end && npx playwright test)
