#!/usr/bin/env bash
# Installs the two peer authorization servers the token benchmark compares with:
#   node/    @node-oauth/oauth2-server on express  -> node/node_modules (npm ci)
#   authlib/ Authlib on Flask under gunicorn       -> authlib/.venv (pip)
# Idempotent and non-interactive: safe to run again, and under CI=true with no stdin.
#   bench/peers/setup-node-authlib.sh
set -euo pipefail
cd "$(dirname "$0")"
export CI=true PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

(
  cd node
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error </dev/null
  else
    npm install --no-audit --no-fund --loglevel=error </dev/null
  fi
)

(
  cd authlib
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q -r requirements.txt </dev/null
)
