#!/usr/bin/env bash
# Page budgets (docs/PERFORMANCE.md): the gzipped weight of the wasm and
# js a page loads, and Lighthouse's performance and accessibility scores,
# for the home page, a grant page, a misuse scenario and the comparison,
# measured on the release build in Debian's Chromium. Writes
# bench/results/pages.md and prints it.
#   bench/pages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh test >/dev/null
cargo leptos build --release --split
(cd bench && [ -d node_modules/lighthouse ] || PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
LEPTOS_SITE_ROOT=target/site RUST_LOG=warn target/release/oauth2-lab --addr "127.0.0.1:$port" --database memory >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/.well-known/oauth-authorization-server" >/dev/null && break; sleep 0.2; done

mkdir -p bench/results
LIGHTHOUSE_RUNS="${LIGHTHOUSE_RUNS:-5}"
: > bench/results/pages-runs.txt
gz() { gzip -9 -c "$1" | wc -c; }

# A page loads the main wasm module, and a lab page its lazy island's
# chunks (`--split`). What each page fetched from /pkg/ is read from
# Lighthouse's network log, and weighed here gzipped at level 9.
{
  echo "| measure | figure | target |"
  echo "|---|---|---|"
} > bench/results/pages.md
for path in / /grants/authorization-code /misuse/redirect-uri /compare; do
  name=$(echo "$path" | tr '/' '_')
  # Lighthouse's performance score moves by ten points and more from one
  # run to the next on this shared 2-core VM, so each page is measured
  # $LIGHTHOUSE_RUNS times and the run with the median score is kept
  # (Lighthouse's own advice on variability).
  for i in $(seq "$LIGHTHOUSE_RUNS"); do
    bench/node_modules/.bin/lighthouse "http://127.0.0.1:$port$path" \
      --chrome-path=/usr/bin/chromium \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update --no-first-run" \
      --only-categories=performance,accessibility --output=json --output-path="bench/results/lighthouse$name.$i.json" --quiet
  done
  median=$(node -e '
    const runs = process.argv.slice(1).map((f) => [require(f).categories.performance.score, f]);
    runs.sort((a, b) => a[0] - b[0]);
    console.log(runs[Math.floor(runs.length / 2)][1]);
  ' $(for i in $(seq "$LIGHTHOUSE_RUNS"); do echo "$PWD/bench/results/lighthouse$name.$i.json"; done))
  echo "$path: performance $(for i in $(seq "$LIGHTHOUSE_RUNS"); do node -e 'console.log(Math.round(require(process.argv[1]).categories.performance.score * 100))' "$PWD/bench/results/lighthouse$name.$i.json"; done | tr '\n' ' ')" >> bench/results/pages-runs.txt
  mv "$median" "bench/results/lighthouse$name.json"
  rm -f bench/results/lighthouse"$name".[0-9]*.json
  files=$(node -e '
    const r = require(process.argv[1]);
    const items = r.audits["network-requests"].details.items;
    const seen = new Set(items.map((i) => new URL(i.url).pathname).filter((p) => p.startsWith("/pkg/") && /\.(wasm|js)$/.test(p)));
    console.log([...seen].join("\n"));
  ' "$PWD/bench/results/lighthouse$name.json")
  total=0
  count=0
  for f in $files; do
    total=$((total + $(gz "target/site$f")))
    count=$((count + 1))
  done
  echo "| wasm + js loaded by $path, gzip -9 ($count files) | $((total / 1024)) KB | ≤ 250 KB |" >> bench/results/pages.md
  node -e '
    const r = require(process.argv[1]);
    const s = (c) => Math.round(r.categories[c].score * 100);
    console.log(`| Lighthouse performance, ${process.argv[2]} | ${s("performance")} | ≥ 95 |`);
    console.log(`| Lighthouse accessibility, ${process.argv[2]} | ${s("accessibility")} | ≥ 95 |`);
  ' "$PWD/bench/results/lighthouse$name.json" "$path" >> bench/results/pages.md
done
echo "| Lighthouse runs per page (median kept; all scores in pages-runs.txt) | $LIGHTHOUSE_RUNS | |" >> bench/results/pages.md
all=0
for f in target/site/pkg/*.wasm target/site/pkg/*.js; do all=$((all + $(gz "$f"))); done
echo "| all wasm + js of the site, gzip -9 | $((all / 1024)) KB | |" >> bench/results/pages.md
echo "| css, gzip -9 | $(( $(gz target/site/pkg/oauth2-lab.css) / 1024 )) KB | |" >> bench/results/pages.md
cat bench/results/pages.md
