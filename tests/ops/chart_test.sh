#!/usr/bin/env bash
# Renders charts/agora without helm (tools/chartcheck: Go's text/template +
# sprig + Helm's functions) and checks what comes out:
#   - Go unit tests of the renderer and of every check (each catches a broken manifest);
#   - `chartcheck check` with the defaults (+ the values the chart needs: an
#     administrator and the names of existing Secrets), with every Secret
#     created from values, and with ci/production-values.yaml;
#   - the chart refuses to render without an administrator password;
#   - demoPayments is off unless asked for (AGORA_DEMO_PAYMENTS false or unset);
#   - yamllint (tools/chartcheck/yamllint.yaml, strict) on the values files and
#     on the rendered manifests.
#
#   tests/ops/chart_test.sh [CHARTCHECK_BINARY | BUILD_DIR]
#
# With a binary, uses it; with a directory, builds chartcheck there when it
# is missing or older than its sources; with nothing, builds into a temp dir.
# Exits 0 when every step passes; each failing step says what failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CHART=${CHART_TEST_CHART:-$ROOT/charts/agora}  # override: to try the test on a copy
TOOL=$ROOT/tools/chartcheck
YAMLLINT_CONFIG=$TOOL/yamllint.yaml
WORK=$(mktemp -d "${TMPDIR:-/tmp}/chart_test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

ARG=${1:-}
if [[ -n $ARG && -f $ARG && -x $ARG ]]; then
  CHARTCHECK=$ARG
else
  if [[ -n $ARG ]]; then
    mkdir -p "$ARG"
    CHARTCHECK=$(cd "$ARG" && pwd)/chartcheck
  else
    CHARTCHECK=$WORK/chartcheck
  fi
  if [[ ! -x $CHARTCHECK ]] || [[ -n $(find "$TOOL" -name '*.go' -newer "$CHARTCHECK" -print -quit) ]]; then
    echo "== building chartcheck -> $CHARTCHECK"
    "$TOOL/build.sh" "$CHARTCHECK"
  fi
fi

FAILED=()
# step NAME COMMAND...: runs the command, prints its output when it fails.
step() {
  local name=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    echo "PASS  $name"
  else
    echo "FAIL  $name"
    echo "      command: $*"
    # shellcheck disable=SC2001  # a prefix on every line
    sed 's/^/      | /' <<<"$out"
    FAILED+=("$name")
  fi
}

# What the chart needs besides its defaults: an administrator, and the names
# of existing Secrets for PostgreSQL and the JWT key pair (see values.yaml).
ADMIN=(--set-string admin.email=admin@example.com --set-string admin.password=chart-test-admin-pw)
EXISTING=(--set-string postgresql.existingSecret=agora-pg --set-string jwt.existingSecret=agora-jwt)
COMMON=(--chart "$CHART" --release agora --namespace agora)

step "go vet + go test (renderer and checks)" "$TOOL/build.sh" --test

step "check: defaults + admin + existing Secrets" \
  "$CHARTCHECK" check "${COMMON[@]}" --repo "$ROOT" "${ADMIN[@]}" "${EXISTING[@]}"

# Every Secret created by the chart from values (a throwaway RSA key pair).
SECRETS_VALUES=$WORK/secrets-values.yaml
if command -v openssl >/dev/null; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/jwt.pem" 2>/dev/null
  openssl pkey -in "$WORK/jwt.pem" -pubout -out "$WORK/jwt.pub" 2>/dev/null
  {
    echo "jwt:"
    echo "  privateKey: |"; sed 's/^/    /' "$WORK/jwt.pem"
    echo "  publicKey: |"; sed 's/^/    /' "$WORK/jwt.pub"
    for s in customers inventory orders reviews saga; do
      printf '%s:\n  database:\n    password: chart-test-%s-pw\n' "$s" "$s"
    done
  } >"$SECRETS_VALUES"
  step "check: defaults + every Secret from values" \
    "$CHARTCHECK" check "${COMMON[@]}" --repo "$ROOT" "${ADMIN[@]}" -f "$SECRETS_VALUES"
else
  echo "SKIP  check: defaults + every Secret from values (no openssl to make a key pair)"
fi

step "check: ci/production-values.yaml" \
  "$CHARTCHECK" check "${COMMON[@]}" --repo "$ROOT" -f "$CHART/ci/production-values.yaml"

# The longest release name Helm accepts (53 characters): names are truncated,
# they must stay unique and valid.
LONG_RELEASE=agora-production-eu-west-1-blue-green-canary-release1
step "check: production values, a 53-character release name" \
  "$CHARTCHECK" check --chart "$CHART" --release "$LONG_RELEASE" --namespace agora --repo "$ROOT" -q -f "$CHART/ci/production-values.yaml"

# No administrator password: the render must fail and say why.
no_admin_password_fails() {
  local out
  if out=$("$CHARTCHECK" render "${COMMON[@]}" --set-string admin.email=admin@example.com "${EXISTING[@]}" 2>&1); then
    echo "rendered without an administrator password"
    return 1
  fi
  if ! grep -qiE 'admin(istrator)?[ ._]?password' <<<"$out"; then
    echo "failed, but the message does not mention the admin password:"
    echo "$out"
    return 1
  fi
  grep -iE 'admin(istrator)?[ ._]?password' <<<"$out" | head -3
}
step "render without admin.password fails, naming it" no_admin_password_fails

# demoPayments: off by default and in production.
demo_payments_off() {
  local env
  env=$("$CHARTCHECK" env "${COMMON[@]}" "$@" 2>&1) || { echo "render failed:"; echo "$env"; return 1; }
  if grep -E ' AGORA_DEMO_PAYMENTS=' <<<"$env" | grep -vE ' AGORA_DEMO_PAYMENTS=false$'; then
    echo "AGORA_DEMO_PAYMENTS is not false (above)"
    return 1
  fi
  echo "containers with AGORA_DEMO_PAYMENTS=false: $(grep -cE ' AGORA_DEMO_PAYMENTS=false$' <<<"$env" || true)"
}
step "demoPayments off by default" demo_payments_off "${ADMIN[@]}" "${EXISTING[@]}"
step "demoPayments off in production values" demo_payments_off -f "$CHART/ci/production-values.yaml"
demo_payments_schema_default() {
  grep -qE '^demoPayments: false\b' "$CHART/values.yaml" || { echo "values.yaml: no top-level 'demoPayments: false'"; return 1; }
}
step "values.yaml: demoPayments: false" demo_payments_schema_default

# yamllint: the values files, and the rendered manifests (whose embedded
# dashboards JSON and PromQL make long lines: line-length off for them).
if command -v yamllint >/dev/null; then
  mapfile -t VALUES_FILES < <(find "$CHART" -maxdepth 1 -name 'values*.yaml'; find "$CHART/ci" -name '*.yaml' 2>/dev/null)
  step "yamllint: values files" yamllint -s -c "$YAMLLINT_CONFIG" "${VALUES_FILES[@]}"
  "$CHARTCHECK" render "${COMMON[@]}" "${ADMIN[@]}" "${EXISTING[@]}" >"$WORK/defaults.yaml" 2>"$WORK/render.err" || true
  "$CHARTCHECK" render "${COMMON[@]}" -f "$CHART/ci/production-values.yaml" >"$WORK/production.yaml" 2>>"$WORK/render.err" || true
  rendered_lint() {
    [[ -s $WORK/defaults.yaml && -s $WORK/production.yaml ]] || { cat "$WORK/render.err"; return 1; }
    yamllint -s -d "{extends: $YAMLLINT_CONFIG, rules: {line-length: disable}}" "$WORK/defaults.yaml" "$WORK/production.yaml"
  }
  step "yamllint: rendered manifests" rendered_lint
else
  echo "FAIL  yamllint not installed (apt-get install yamllint)"
  FAILED+=("yamllint")
fi

if ((${#FAILED[@]})); then
  echo "chart_test: ${#FAILED[@]} step(s) failed: ${FAILED[*]}"
  exit 1
fi
echo "chart_test: all steps passed"
