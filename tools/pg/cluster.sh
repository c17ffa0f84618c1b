#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster from Debian's binaries, for local runs
# and tests (no Docker here).
#
#   cluster.sh start DATA_DIR PORT [--fast]   initdb if needed, start, create the
#                                             agora database, each service's role
#                                             and schema; --fast turns fsync off (tests)
#   cluster.sh stop DATA_DIR                  fast shutdown
#   cluster.sh restart DATA_DIR               stop and start again (same port)
#   cluster.sh psql DATA_DIR [ARGS...]        psql as the superuser
#
# AGORA_PG_EXTRA_CONF (lines) goes into a new cluster's configuration
# (benchmark experiments).
#
# Run as root, the server runs as the unprivileged "postgres" user (PostgreSQL
# refuses to run as root). Roles: postgres (superuser, password "postgres",
# local use only) and one LOGIN role per service, named like its schema,
# password = its name, owning its schema and nothing else.
set -euo pipefail

PGBIN=${AGORA_PGBIN:-/usr/lib/postgresql/15/bin}
SERVICES=(customers inventory orders reviews saga)

die() { echo "cluster.sh: $*" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_super() {  # psql_super DATA_DIR DB ARGS...
  local data=$1 db=$2; shift 2
  as_owner "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$data" -p "$(cat "$data/agora.port")" \
    -U postgres -d "$db" "$@"
}

init() {  # init DATA_DIR PORT FAST
  local data=$1 port=$2 fast=$3
  mkdir -p "$data"
  if [[ $(id -u) == 0 ]]; then
    id postgres >/dev/null 2>&1 || die "user postgres missing (apt-get install postgresql-15)"
    chown postgres: "$data"
  fi
  chmod 700 "$data"
  if [[ ! -f $data/PG_VERSION ]]; then
    local pwfile
    pwfile=$(mktemp)
    echo postgres >"$pwfile"
    chmod 644 "$pwfile"
    as_owner "$PGBIN/initdb" -D "$data" -U postgres --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$data.initdb.log" 2>&1 \
      || { rm -f "$pwfile"; cat "$data.initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
  fi
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$data'"
    echo "max_connections = 300"
    echo "shared_buffers = 128MB"
    echo "log_min_messages = warning"
    echo "log_min_error_statement = panic"
    # The outbox and inbox tables churn, and a new database's tables grow
    # from empty: analysed only after the first minute (the default naptime),
    # the services' cached plans scan whole tables until then. Production
    # clusters want the same (charts/agora/README.md, PostgreSQL).
    echo "autovacuum_naptime = 5s"
    # Benchmarks' statement profile (bench/saga.sh with AGORA_BENCH_PROFILE=1).
    if [[ ${AGORA_PG_STAT_STATEMENTS:-0} == 1 ]]; then
      echo "shared_preload_libraries = 'pg_stat_statements'"
      echo "pg_stat_statements.track = all"
      echo "pg_stat_statements.track_planning = on"
    fi
    # Experiments (benchmarks): further settings, one per line.
    [[ -n ${AGORA_PG_EXTRA_CONF:-} ]] && printf '%s\n' "$AGORA_PG_EXTRA_CONF"
    if [[ $fast == 1 ]]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } | as_owner tee "$data/postgresql.auto.conf" >/dev/null
  echo "$port" | as_owner tee "$data/agora.port" >/dev/null
}

start() {
  local data=$1 port=$2 fast=${3:-0}
  init "$data" "$port" "$fast"
  as_owner "$PGBIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null \
    || { tail -20 "$data/server.log" >&2; die "PostgreSQL did not start"; }
  provision "$data"
}

provision() {
  local data=$1 svc
  psql_super "$data" postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = 'agora'" | grep -q 1 \
    || psql_super "$data" postgres -c "CREATE DATABASE agora"
  for svc in "${SERVICES[@]}"; do
    psql_super "$data" postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$svc') THEN
    CREATE ROLE $svc LOGIN PASSWORD '$svc';
  END IF;
END \$\$;
ALTER ROLE $svc SET search_path = $svc;
SQL
    psql_super "$data" agora -c "CREATE SCHEMA IF NOT EXISTS $svc AUTHORIZATION $svc"
  done
  psql_super "$data" agora -c "REVOKE ALL ON SCHEMA public FROM PUBLIC"
}

stop() {
  local data=$1
  [[ -f $data/postmaster.pid ]] || return 0
  as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null || true
}

# Absolute data paths: the server resolves paths from its own working directory.
[[ $# -ge 2 ]] && set -- "$1" "$(realpath -m "$2")" "${@:3}"

case ${1:-} in
  start) [[ $# -ge 3 ]] || die "usage: start DATA_DIR PORT [--fast]"
         start "$2" "$3" "$([[ ${4:-} == --fast ]] && echo 1 || echo 0)" ;;
  stop) [[ $# -ge 2 ]] || die "usage: stop DATA_DIR"; stop "$2" ;;
  restart) [[ $# -ge 2 ]] || die "usage: restart DATA_DIR"
           stop "$2"
           as_owner "$PGBIN/pg_ctl" -D "$2" -l "$2/server.log" -w -t 60 start >/dev/null ;;
  psql) [[ $# -ge 2 ]] || die "usage: psql DATA_DIR [ARGS]"; d=$2; shift 2; psql_super "$d" agora "$@" ;;
  *) die "usage: cluster.sh start|stop|restart|psql DATA_DIR ..." ;;
esac
