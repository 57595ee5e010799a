#!/usr/bin/env bash
# Page budgets (issue: fast and unbreakable): the gzipped weight of the wasm
# and js a page loads, and Lighthouse's performance and accessibility scores
# for the home page and a grant page, measured on the release build in
# Debian's Chromium. Writes bench/results/pages.md and prints it.
#   bench/pages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh test >/dev/null
cargo leptos build --release
(cd bench && [ -d node_modules/lighthouse ] || PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
LEPTOS_SITE_ROOT=target/site RUST_LOG=warn target/release/oauth2-lab --addr "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/.well-known/oauth-authorization-server" >/dev/null && break; sleep 0.2; done

mkdir -p bench/results
gz() { gzip -9 -c "$1" | wc -c; }
wasm=$(gz target/site/pkg/oauth2-lab.wasm)
js=$(gz target/site/pkg/oauth2-lab.js)
css=$(gz target/site/pkg/oauth2-lab.css)
total=$((wasm + js))

{
  echo "| measure | figure | target |"
  echo "|---|---|---|"
  echo "| wasm, gzip -9 | $((wasm / 1024)) KB | |"
  echo "| js, gzip -9 | $((js / 1024)) KB | |"
  echo "| wasm + js, gzip -9 | $((total / 1024)) KB | ≤ 250 KB |"
  echo "| css, gzip -9 | $((css / 1024)) KB | |"
} > bench/results/pages.md

for path in / /grants/authorization-code; do
  name=$(echo "$path" | tr '/' '_')
  bench/node_modules/.bin/lighthouse "http://127.0.0.1:$port$path" \
    --chrome-path=/usr/bin/chromium \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update --no-first-run" \
    --only-categories=performance,accessibility --output=json --output-path="bench/results/lighthouse$name.json" --quiet
  node -e '
    const r = require(process.argv[1]);
    const s = (c) => Math.round(r.categories[c].score * 100);
    console.log(`| Lighthouse performance, ${process.argv[2]} | ${s("performance")} | ≥ 95 |`);
    console.log(`| Lighthouse accessibility, ${process.argv[2]} | ${s("accessibility")} | ≥ 95 |`);
  ' "$PWD/bench/results/lighthouse$name.json" "$path" >> bench/results/pages.md
done
cat bench/results/pages.md
