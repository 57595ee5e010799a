#!/usr/bin/env bash
# Installs whatever the lab needs and is missing, and nothing else, so a
# second run costs seconds. Never prompts (CI has no terminal).
#   scripts/setup.sh run    what building and serving needs
#   scripts/setup.sh test   that, plus Chromium and the browser-test packages
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-test}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export PATH="$HOME/.cargo/bin:$PATH"

say() { echo "setup: $*"; }

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# The Rust pieces.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^${component}"; then
    say "adding $component"
    rustup component add "$component"
  fi
done

LEPTOS_VERSION=0.3.10
if ! cargo leptos --version 2>/dev/null | grep -q "$LEPTOS_VERSION"; then
  say "installing cargo-leptos $LEPTOS_VERSION (about 11 minutes on 2 cores)"
  cargo install cargo-leptos@"$LEPTOS_VERSION" --locked --features no_downloads
fi

# wasm-bindgen's CLI must equal the library version in Cargo.lock.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  say "installing wasm-bindgen-cli $WB_VERSION"
  # Not --locked: its lock names a webpki-roots release the registry lacks.
  CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

# wasm-opt for release builds; Debian's binaryen is too old.
BINARYEN_VERSION=132.0.0
if ! wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  say "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm"
  npm install -g --no-audit --no-fund "binaryen@$BINARYEN_VERSION"
fi

if [ "$what" = "test" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's Chromium"
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get update -q
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
  fi
  # PostgreSQL for the tests on a shared database; the test script starts
  # its own server in a temporary directory, never the system service.
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    say "installing Debian's PostgreSQL"
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get update -q
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
  fi
  # The third-party clients the integration suite drives (Authlib), from
  # PyPI at the pinned versions, in a virtual environment of their own.
  if [ ! -x .venv-tests/bin/python ] || [ tests/python/requirements.txt -nt .venv-tests/.installed ]; then
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
      say "installing Debian's python3-venv"
      sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get update -q
      sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv
    fi
    say "installing the Python clients (tests/python/requirements.txt)"
    python3 -m venv .venv-tests
    .venv-tests/bin/pip install -q --disable-pip-version-check -r tests/python/requirements.txt
    touch .venv-tests/.installed
  fi
  # The independent OpenID provider the "own provider" tests start (npm
  # oidc-provider), from its committed lock file.
  stamp=tests/oidc-provider/node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ tests/oidc-provider/package-lock.json -nt "$stamp" ]; then
    say "installing oidc-provider (tests/oidc-provider)"
    (cd tests/oidc-provider && npm ci --no-audit --no-fund)
  fi
  # The browser-test packages, from the committed lock file; Playwright's
  # own browser download is never used.
  stamp=end2end/node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ end2end/package-lock.json -nt "$stamp" ]; then
    say "installing the end2end npm packages"
    (cd end2end && npm ci --no-audit --no-fund)
  fi
fi
say "everything is in place"
