#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests, run as an unprivileged user, on loopback only.
#
#   tests/pg_cluster.sh start DIR PORT   # prints the base URL: postgres://ff:<pw>@127.0.0.1:PORT/
#   tests/pg_cluster.sh stop DIR
#   tests/pg_cluster.sh start-again DIR  # after a stop, same data and port
set -euo pipefail
cmd=$1 dir=$2
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

# initdb and postgres refuse to run as root: use the `postgres` system user then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
}

case $cmd in
  start)
    port=$3
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    as_owner sh -c "umask 077; printf %s '$password' > '$dir/pwfile'"
    as_owner "$bindir/initdb" -D "$dir/data" -U ff --pwfile="$dir/pwfile" \
      --auth=scram-sha-256 -E UTF8 --no-instructions >/dev/null
    echo "$port" > "$dir/port"
    pg_start
    echo "postgres://ff:$password@127.0.0.1:$port/"
    ;;
  start-again) pg_start ;;
  stop) as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ;;
  *) echo "usage: $0 start DIR PORT | stop DIR | start-again DIR" >&2; exit 2 ;;
esac
