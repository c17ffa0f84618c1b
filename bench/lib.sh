# Shared by the benchmark scripts (sourced): logging, free ports, and
# stopping what a script started. The script sets WORK and ROOT, and
# appends the pids it starts to PIDS.

log() { printf '[bench] %s\n' "$*" >&2; }

# Stops every process in PIDS but the first, then the first (the broker, where
# there is one, outlives the services that drain into it), then the
# PostgreSQL cluster in $WORK/pg.
cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 1; i--)); do kill -TERM "${PIDS[i]}" 2>/dev/null || true; done
  for ((i = ${#PIDS[@]} - 1; i >= 1; i--)); do wait "${PIDS[i]}" 2>/dev/null || true; done
  if ((${#PIDS[@]})); then kill -TERM "${PIDS[0]}" 2>/dev/null || true; wait "${PIDS[0]}" 2>/dev/null || true; fi
  "$ROOT/tools/pg/cluster.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
}

# A port nothing listens on, below the ephemeral range (32768+).
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 12000))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
  done
  exit 1
}

# PostgreSQL's commit ceiling on the cluster in $WORK/pg (port $1): prints
# "C1 C8", the transactions/s of pgbench with 1 and with 8 clients, 5 s
# each, every transaction one UPDATE of one of 1,000 rows.
commit_ceiling() {
  local port=$1 pgbin=${AGORA_PGBIN:-/usr/lib/postgresql/15/bin} c out=()
  "$ROOT/tools/pg/cluster.sh" psql "$WORK/pg" agora -c "CREATE TABLE IF NOT EXISTS public.bench_commit
    (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
    INSERT INTO public.bench_commit (id) SELECT generate_series(1, 1000) ON CONFLICT DO NOTHING" >/dev/null
  printf '\\set id random(1, 1000)\nUPDATE public.bench_commit SET n = n + 1 WHERE id = :id;\n' >"$WORK/commit.sql"
  chmod 644 "$WORK/commit.sql"
  for c in 1 8; do
    out+=("$(PGPASSWORD=postgres "$pgbin/pgbench" -n -h 127.0.0.1 -p "$port" -U postgres -c "$c" \
      -j "$((c < 2 ? 1 : 2))" -T 5 -f "$WORK/commit.sql" agora 2>/dev/null |
      sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)")
  done
  echo "${out[0]:-0} ${out[1]:-0}"
}
