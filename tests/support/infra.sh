#!/usr/bin/env bash
# The per-run test infrastructure (a ctest fixture): one PostgreSQL cluster
# and one dev broker for every test of a ctest run. Tests find them through
# DIR/env. Each test then makes its own database or topics.
#
#   infra.sh start DIR DEV_BROKER_BINARY
#   infra.sh stop DIR
#   infra.sh restart-pg DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cluster=$here/../../tools/pg/cluster.sh

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 12000))  # below the ephemeral range (32768+)
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
  done
  echo "infra.sh: no free port" >&2; exit 1
}

stop_all() {
  local dir=$1
  if [[ -f $dir/broker.pid ]]; then
    local pid; pid=$(cat "$dir/broker.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/broker.pid"
  fi
  [[ -d $dir/pg ]] && "$cluster" stop "$dir/pg"
  rm -f "$dir/env"
}

case ${1:-} in
  start)
    dir=$(realpath -m "$2") broker=$3
    stop_all "$dir" 2>/dev/null || true   # what an interrupted run left
    rm -rf "$dir"; mkdir -p "$dir"
    port=$(free_port)
    "$cluster" start "$dir/pg" "$port" --fast
    setsid "$broker" --bootstrap-file="$dir/bootstrap" >"$dir/broker.log" 2>&1 &
    echo $! >"$dir/broker.pid"
    for _ in $(seq 1 100); do [[ -s $dir/bootstrap ]] && break; sleep 0.1; done
    [[ -s $dir/bootstrap ]] || { cat "$dir/broker.log" >&2; echo "dev broker did not start" >&2; exit 1; }
    {
      echo "PG_HOST=127.0.0.1"
      echo "PG_PORT=$port"
      echo "PG_SUPERUSER=postgres"
      echo "PG_SUPERUSER_PASSWORD=postgres"
      echo "PG_DATA=$dir/pg"
      echo "KAFKA_BROKERS=$(cat "$dir/bootstrap")"
    } >"$dir/env.tmp"
    mv "$dir/env.tmp" "$dir/env"
    echo "test infrastructure up: PostgreSQL on $port, dev broker $(cat "$dir/bootstrap")"
    ;;
  stop) stop_all "$2" ;;
  restart-pg) "$cluster" restart "$2/pg" ;;
  *) echo "usage: infra.sh start DIR BROKER | stop DIR | restart-pg DIR" >&2; exit 2 ;;
esac
