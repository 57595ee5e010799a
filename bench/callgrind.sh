#!/usr/bin/env bash
# Repeatable counts for the token endpoint (docs/PERFORMANCE.md): each
# Rust server runs under `valgrind --tool=callgrind`, answers 2,000
# client_credentials requests to warm up and then 20,000 counted ones
# (oha, 16 connections), and the instructions its connection tasks
# executed are divided by the requests. Unlike req/s on this shared VM,
# the count is the same from one run to the next. Kernel time (the
# loopback writes and reads, about half of each request) is not counted.
#   bench/callgrind.sh [requests]     (after make bench has built the servers)
# Writes bench/results/callgrind.md and the raw profiles under
# bench/results/callgrind/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v valgrind >/dev/null || { echo "callgrind: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
command -v oha >/dev/null || { echo "callgrind: oha is needed (make bench installs it)" >&2; exit 1; }
N="${1:-20000}"
out=bench/results/callgrind
mkdir -p "$out"
SECRET=bench-secret-5f1c9e2a7b4d4e0f8a3c6b9d2e7f1a04

# file name, row label, path, Basic credentials, argv...
count() {
  local name=$1 label=$2 path=$3 auth=$4; shift 4
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  rm -f "$out/$name".*
  PORT=$port RUST_LOG=warn TOKIO_WORKER_THREADS=1 taskset -c 0 valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$out/$name" "${@/\{port\}/$port}" >"$out/$name.log" 2>&1 &
  pid=$!
  local up=
  for _ in $(seq 120); do
    kill -0 "$pid" 2>/dev/null || break
    curl -s -o /dev/null -X POST "http://127.0.0.1:$port$path" && { up=1; break; }
    sleep 0.5
  done
  [ -n "$up" ] || { echo "callgrind: $label did not start; see $out/$name.log" >&2; exit 1; }
  local load=(taskset -c 1 oha --no-tui --disable-compression --worker-threads 1 -c 16 -m POST
    -T application/x-www-form-urlencoded -d grant_type=client_credentials -a "$auth")
  callgrind_control -i on "$pid" >/dev/null 2>&1
  "${load[@]}" -n 2000 "http://127.0.0.1:$port$path" >/dev/null
  callgrind_control -z "$pid" >/dev/null 2>&1
  "${load[@]}" -n "$N" "http://127.0.0.1:$port$path" >/dev/null
  callgrind_control -d "$pid" >/dev/null 2>&1
  sleep 1
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
  # The connection tasks: everything a request costs in user space.
  callgrind_annotate --auto=no --inclusive=yes "$out/$name".1 >"$out/$name.txt" 2>/dev/null
  local conn sha
  conn=$(awk '/UpgradeableConnection<I,S,E> as core::future::future::Future>::poll / && !n {gsub(",","",$1); print $1; n=1}' "$out/$name.txt")
  sha=$(awk '/sha2::sha256::compress256 / && !n {gsub(",","",$1); print $1; n=1}' "$out/$name.txt")
  [ -n "$conn" ] || { echo "callgrind: no connection task in $out/$name.txt" >&2; exit 1; }
  echo "| $label | $((conn / N)) | $(( ${sha:-0} / N )) |"
}

{
  # Here, in the subshell that runs the servers: stop the one running if
  # the script stops early.
  pid=
  trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT
  echo "# Token endpoint: instructions per request (callgrind)"
  echo
  echo "Measured $(date -u +%Y-%m-%d) with \`bench/callgrind.sh\`: $N counted client_credentials requests at 16"
  echo "connections after 2,000 to warm up; user-space instructions in the server's connection tasks, per request."
  echo "Valgrind's CPU has no SHA extensions, so \`sha2\` runs its portable code here (the last column); on the"
  echo "real CPU the lab's three SHA-256 digests a request take a few hundred instructions."
  echo
  echo "| server | instructions / request | of which SHA-256 (portable) |"
  echo "|---|---:|---:|"
  count lab oauth2-lab /oauth/token service:service-secret \
    target/release/oauth2-lab --addr "127.0.0.1:{port}" --database memory --rate-per-minute 0 --max-tokens 5000000 --memory-ceiling-mib 0
  count oxide oxide-auth /token "bench-client:$SECRET" bench/peers/target/release/oxide
  count floor "floor (bare axum)" /token "bench-client:$SECRET" bench/peers/target/release/floor
} | tee bench/results/callgrind.md
