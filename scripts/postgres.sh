#!/usr/bin/env bash
# A throwaway Postgres for tests and CI, started straight from the server binaries (there is no Docker engine here).
#
#   scripts/postgres.sh start <dir> <port>   creates <dir> if needed, starts, prints the DATABASE_URL on stdout
#   scripts/postgres.sh stop <dir>           stops it (the caller removes <dir>)
#
# Durability is switched off (fsync, full-page writes): fast, and the data is thrown away anyway.
set -euo pipefail

usage() {
  echo "usage: $0 start <dir> <port> | stop <dir>" >&2
  exit 2
}

# PATH first, else the newest /usr/lib/postgresql/<version>/bin (Debian keeps them off PATH).
find_pg_bin() {
  local name=$1 found
  if found=$(command -v "$name"); then
    echo "$found"
    return
  fi
  found=$(printf '%s\n' /usr/lib/postgresql/*/bin/"$name" | sort -V | tail -n 1)
  if [[ ! -x "$found" ]]; then
    echo "postgres.sh: $name not found; install Postgres (apt-get install -y postgresql)" >&2
    exit 1
  fi
  echo "$found"
}

# Postgres refuses to run as root, so root runs it as the postgres user. From / so that user can read the cwd.
as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  local dir=$1 port=$2
  [[ "$port" =~ ^[0-9]+$ ]] || usage
  if port_in_use "$port"; then
    echo "postgres.sh: port $port is already in use" >&2
    exit 1
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$dir"; fi
  chmod 700 "$dir"

  local initdb pg_ctl
  initdb=$(find_pg_bin initdb)
  pg_ctl=$(find_pg_bin pg_ctl)
  if [[ ! -f "$dir/PG_VERSION" ]]; then
    local log
    if ! log=$(as_postgres "$initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync 2>&1); then
      echo "$log" >&2
      exit 1
    fi
  fi
  as_postgres "$pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2 || {
    echo "postgres.sh: start failed; server log:" >&2
    cat "$dir/server.log" >&2 || true
    exit 1
  }
  echo "postgres://postgres@127.0.0.1:$port/postgres"
}

stop() {
  local dir=$1
  [[ -f "$dir/postmaster.pid" ]] || return 0
  as_postgres "$(find_pg_bin pg_ctl)" -D "$dir" -m fast -w stop >&2
}

case "${1:-}" in
  start) [[ $# -eq 3 ]] || usage; start "$2" "$3" ;;
  stop) [[ $# -eq 2 ]] || usage; stop "$2" ;;
  *) usage ;;
esac
