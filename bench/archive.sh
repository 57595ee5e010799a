#!/usr/bin/env bash
# What a stored run costs in the SQLite archive (docs/PERFORMANCE.md): the
# lab, on a database in a temporary directory, plays N autoplay runs of each
# grant through its server function; then the records' bytes per grant and
# the files' size on disk are read. Writes bench/results/archive.md and
# prints it.
#   bench/archive.sh [runs per grant, default 8]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
per_grant="${1:-8}"
cargo build --features ssr --bin oauth2-lab
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
RUST_LOG=warn target/debug/oauth2-lab --addr "127.0.0.1:$port" --database "sqlite:$work/lab.db" --rate-per-minute 0 >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "$base/.well-known/oauth-authorization-server" >/dev/null && break; sleep 0.2; done

for _ in $(seq "$per_grant"); do
  for grant in AuthorizationCode ClientCredentials Implicit Password DeviceCode; do
    curl -sf -o /dev/null -X POST -H 'accept: application/json' -H 'content-type: application/x-www-form-urlencoded' \
      --data "grant=$grant&mode=Autoplay&lifecycle=true" "$base/lab/fn/start_run"
  done
done
# The archive writes every second.
sleep 3
mkdir -p bench/results
python3 - "$work" > bench/results/archive.md <<'EOF'
import os, sqlite3, sys
work = sys.argv[1]
db = sqlite3.connect(os.path.join(work, "lab.db"))
rows, total = db.execute("SELECT COUNT(*), SUM(bytes) FROM runs").fetchone()
disk = sum(os.path.getsize(os.path.join(work, f)) for f in os.listdir(work))
print("| runs | record bytes, mean | on disk, per run (file, WAL and index) |")
print("|---|---|---|")
for grant, n, mean in db.execute("SELECT json_extract(record, '$.grant'), COUNT(*), AVG(bytes) FROM runs GROUP BY 1 ORDER BY 1"):
    print(f"| {n} × {grant} | {mean / 1000:.1f} KB | |")
print(f"| {rows} in all | {total / rows / 1000:.1f} KB | {disk / rows / 1000:.1f} KB |")
EOF
cat bench/results/archive.md
