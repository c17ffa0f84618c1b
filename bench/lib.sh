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
