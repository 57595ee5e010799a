#!/usr/bin/env bash
# A throwaway PostgreSQL server from Debian's packages, for the tests and
# benchmarks: a new cluster in a temporary directory, listening on a free
# loopback port, with no system service.
#   scripts/postgres.sh start [DIR]   prints the server's URL; DIR defaults to a new temp dir
#   scripts/postgres.sh stop DIR
# Started as root, the server runs as the postgres user (initdb refuses root).
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (scripts/setup.sh test installs it)" >&2; exit 1; }
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-}" in
  start)
    dir="${2:-$(mktemp -d /tmp/oauth2-lab-pg.XXXXXX)}"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    as_owner "$bin/initdb" -D "$dir/data" -U lab -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400" start >/dev/null
    echo "$port" >"$dir/port"
    echo "postgres://lab@127.0.0.1:$port/postgres"
    ;;
  stop)
    dir="${2:?postgres.sh stop DIR}"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: scripts/postgres.sh start [DIR] | stop DIR" >&2
    exit 2
    ;;
esac
