#!/usr/bin/env bash
# The classroom benchmark (docs/PERFORMANCE.md): N followers (default
# 10,000) on one class, the presenter moving K steps (default 10), then
# starting a new run, whose view every follower fetches. Reports the time
# for a step to reach every follower, the time for a new run to reach
# every follower including that fetch, and the labs' RSS with the streams
# open. The load generator (bench/peers/classroom) shares the two cores.
# With --replicas, two labs on one PostgreSQL (scripts/postgres.sh, in a
# temporary directory), the followers spread over both, the presenter on
# the first. Writes bench/results/classroom.md and classroom.json.
#   bench/classroom.sh [--followers N] [--moves K] [--replicas]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

followers=10000
moves=10
replicas=1
while [ $# -gt 0 ]; do
  case "$1" in
    --followers) followers="$2"; shift 2 ;;
    --moves) moves="$2"; shift 2 ;;
    --replicas) replicas=2; shift ;;
    *) echo "usage: bench/classroom.sh [--followers N] [--moves K] [--replicas]" >&2; exit 2 ;;
  esac
done

# Each follower holds a stream, and a second connection while it fetches a
# view: a descriptor a follower at each end, and more while they fetch.
ulimit -n "$(ulimit -Hn)"
need=$(( followers + 256 ))
if [ "$(ulimit -n)" -lt "$need" ]; then
  echo "classroom: $followers followers need about $need open files per lab; this shell allows $(ulimit -n)" >&2
  exit 1
fi

cargo build --release --features ssr --bin oauth2-lab
cargo build --release --locked --manifest-path bench/peers/Cargo.toml -p classroom

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d /tmp/oauth2-lab-classroom.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${pg_dir:-}" ]; then scripts/postgres.sh stop "$pg_dir" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

database=memory
if [ "$replicas" = 2 ]; then
  # A directory of its own, which the postgres user can enter.
  pg_dir=$(mktemp -d /tmp/oauth2-lab-classroom-pg.XXXXXX)
  database=$(scripts/postgres.sh start "$pg_dir")
fi

urls=()
for i in $(seq 1 "$replicas"); do
  port=$(free_port)
  # One class, many followers from one address: no rate limit applies to
  # streams and views; state-creating requests stay within the default.
  target/release/oauth2-lab --addr "127.0.0.1:$port" --public-url "http://127.0.0.1:$port" \
    --database "$database" >"$work/lab$i.log" 2>&1 &
  pids+=("$!")
  urls+=("http://127.0.0.1:$port")
done
for u in "${urls[@]}"; do
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$u/" 2>/dev/null && break; sleep 0.1; done
done

# The labs' RSS, every half second, the largest kept.
(
  while true; do
    for p in "${pids[@]}"; do
      kb=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
      prev=$(cat "$work/rss.$p" 2>/dev/null || echo 0)
      [ "${kb:-0}" -gt "$prev" ] && echo "$kb" >"$work/rss.$p"
    done
    sleep 0.5
  done
) &
sampler=$!
pids+=("$sampler")

lab_list=$(IFS=,; echo "${urls[*]}")
bench/peers/target/release/classroom --lab "$lab_list" --followers "$followers" --moves "$moves" >"$work/out.json"
kill "$sampler" 2>/dev/null || true

mkdir -p bench/results
rss_mb=()
for p in "${pids[@]}"; do
  [ "$p" = "$sampler" ] && continue
  rss_mb+=("$(( $(cat "$work/rss.$p" 2>/dev/null || echo 0) / 1024 ))")
done
python3 - "$work/out.json" "$replicas" "${rss_mb[@]}" <<'PY'
import json, statistics, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
done = next(l for l in lines if l["phase"] == "done")
opened = next(l for l in lines if l["phase"] == "open")
replicas = int(sys.argv[2])
rss = [int(x) for x in sys.argv[3:]]
steps = [s for s in done["step_ms"] if s is not None]
result = {
    "followers": done["followers"],
    "replicas": replicas,
    "connected": done["connected"],
    "open_seconds": opened["seconds"],
    "step_ms": done["step_ms"],
    "step_ms_median": statistics.median(steps) if steps else None,
    "step_ms_max": max(steps) if steps else None,
    "steps_reaching_all": len(steps),
    "start_run_ms": done["start_run_ms"],
    "new_run_event_ms": done["new_run_event_ms"],
    "new_run_ms": done["new_run_ms"],
    "back_to_cached_run_ms": done["back_to_cached_run_ms"],
    "not_modified": done["not_modified"],
    "failures": done["failures"],
    "rss_mb": rss,
}
name = "classroom" if replicas == 1 else "classroom-replicas"
json.dump(result, open(f"bench/results/{name}.json", "w"), indent=2)
fmt = lambda v: "did not reach all" if v is None else f"{v:.0f} ms"
md = [
    f"# Classroom: {result['followers']} followers, {replicas} lab process{'es' if replicas > 1 else ''}",
    "",
    "| measure | figure | target |",
    "|---|---|---|",
    f"| followers connected | {result['connected']} of {result['followers']} (in {result['open_seconds']:.1f} s) | all |",
    f"| a step reaches every follower, median of {len(done['step_ms'])} | {fmt(result['step_ms_median'])} (max {fmt(result['step_ms_max'])}) | ≤ 250 ms |",
    f"| a new run reaches every follower, its view fetched | {fmt(result['new_run_ms'])} (the event alone {fmt(result['new_run_event_ms'])}; the presenter's run itself {result['start_run_ms']:.0f} ms) | ≤ 2 s |",
    f"| back to a run they have: every follower's 304 | {fmt(result['back_to_cached_run_ms'])} ({result['not_modified']} answered 304) | |",
    f"| RSS with the streams open | {' + '.join(f'{r} MB' for r in rss)} | ≤ 1 GB |",
    f"| failed streams or fetches | {result['failures']} | 0 |",
    "",
    "Each step's time: " + ", ".join(fmt(s) for s in done["step_ms"]) + ".",
]
open(f"bench/results/{name}.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
