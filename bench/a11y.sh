#!/usr/bin/env bash
# Lighthouse accessibility on every page, as a phone and as a laptop
# (docs/PERFORMANCE.md): the home page, the chooser, the misuse index, each
# grant page and each misuse scenario with a run on show (opened from its
# permalink), the comparison with its runs, a follower's page and the
# authorization server's sign-in page. Accessibility does not depend on
# optimisation, so this measures the debug build. Writes
# bench/results/a11y.md and prints it; fails if a page scores under 95.
#   bench/a11y.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh test >/dev/null
cargo leptos build --split
(cd bench && [ -d node_modules/lighthouse ] || PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
LEPTOS_SITE_ROOT=target/site RUST_LOG=warn target/debug/oauth2-lab --addr "127.0.0.1:$port" --database memory >/dev/null 2>&1 &
server=$!
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "$base/.well-known/oauth-authorization-server" >/dev/null && break; sleep 0.2; done

# A server function's answer: the run it played, as JSON.
server_fn() { curl -sf -X POST -H 'accept: application/json' -H 'content-type: application/x-www-form-urlencoded' --data "$2" "$base/lab/fn/$1"; }
run_id() { python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }

pages=(/ /choose /misuse /lab/start)
for grant in AuthorizationCode:authorization-code ClientCredentials:client-credentials Implicit:implicit Password:password DeviceCode:device-code; do
  id=$(server_fn start_run "grant=${grant%%:*}&mode=Autoplay&lifecycle=true&jwt=false&mask=false&bare=false" | run_id)
  pages+=("/grants/${grant#*:}?run=$id&step=4")
  [ "${grant%%:*}" = AuthorizationCode ] && code_run=$id
  [ "${grant%%:*}" = ClientCredentials ] && service_run=$id
done
for scenario in csrf-state secret-in-url; do
  name=$(python3 -c 'import sys; print("".join(p.title() for p in sys.argv[1].split("-")))' "$scenario")
  id=$(server_fn start_scenario "scenario=$name&vulnerable=false" | run_id)
  pages+=("/misuse/$scenario?run=$id&step=3")
done
pages+=("/compare?grants=authorization-code,client-credentials&runs=$code_run,$service_run&step=3")
# A follower's page: a class whose presenter shows the code run.
read -r class key < <(server_fn open_class "" | python3 -c 'import json, sys; c = json.load(sys.stdin); print(c[0], c[1])')
view="/grants/authorization-code?run=$code_run&step=5"
server_fn move_class "id=$class&key=$key&view=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$view")&seq=1" >/dev/null
pages+=("$view&follow=$class")

mkdir -p bench/results
{
  echo "| page | phone | laptop |"
  echo "|---|---|---|"
} > bench/results/a11y.md
low=0
for path in "${pages[@]}"; do
  scores=()
  for preset in mobile desktop; do
    flags=()
    [ "$preset" = desktop ] && flags=(--preset=desktop)
    bench/node_modules/.bin/lighthouse "$base$path" "${flags[@]}" \
      --chrome-path=/usr/bin/chromium \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update --no-first-run" \
      --only-categories=accessibility --output=json --output-path="$work/report.json" --quiet
    score=$(node -e 'const r = require(process.argv[1]); console.log(Math.round(r.categories.accessibility.score * 100))' "$work/report.json")
    failed=$(node -e '
      const r = require(process.argv[1]);
      console.log(r.categories.accessibility.auditRefs.map((a) => r.audits[a.id]).filter((a) => a.score !== null && a.score < 1).map((a) => a.id).join(" "));
    ' "$work/report.json")
    scores+=("$score${failed:+ ($failed)}")
    [ "$score" -lt 95 ] && low=1
  done
  shown=$(echo "$path" | sed -E 's/run_[A-Za-z0-9_-]+/run_…/g; s/class_[A-Za-z0-9_-]+/class_…/g')
  echo "| \`$shown\` | ${scores[0]} | ${scores[1]} |" >> bench/results/a11y.md
done
cat bench/results/a11y.md
exit $low
