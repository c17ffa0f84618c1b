#!/usr/bin/env bash
# Renders charts/agora without helm (tools/chartcheck: Go's text/template +
# sprig + Helm's functions) and checks what comes out:
#   - Go unit tests of the renderer and of every check (each catches a broken manifest);
#   - `chartcheck check` with the defaults (+ the values the chart needs: an
#     administrator and the names of existing Secrets), with every Secret
#     created from values, and with ci/production-values.yaml;
#   - the chart refuses to render without an administrator password, and
#     without the services' key;
#   - the services' key: the gateway gets no key variable and no volume of its
#     Secret, customers, inventory and saga no private key, orders and reviews
#     the private key (production values);
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
# of existing Secrets for PostgreSQL, the JWT key pair and the services' key
# pair (see values.yaml).
ADMIN=(--set-string admin.email=admin@example.com --set-string admin.password=chart-test-admin-pw)
EXISTING=(--set-string postgresql.existingSecret=agora-pg --set-string jwt.existingSecret=agora-jwt
  --set-string serviceKey.existingSecret=agora-service-key)
COMMON=(--chart "$CHART" --release agora --namespace agora)

step "go vet + go test (renderer and checks)" "$TOOL/build.sh" --test

step "check: defaults + admin + existing Secrets" \
  "$CHARTCHECK" check "${COMMON[@]}" --repo "$ROOT" "${ADMIN[@]}" "${EXISTING[@]}"

# Every Secret created by the chart from values (throwaway RSA key pairs: the
# JWT key pair and the services' key pair).
SECRETS_VALUES=$WORK/secrets-values.yaml
if command -v openssl >/dev/null; then
  for key in jwt service; do
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/$key.pem" 2>/dev/null
    openssl pkey -in "$WORK/$key.pem" -pubout -out "$WORK/$key.pub" 2>/dev/null
  done
  {
    echo "jwt:"
    echo "  privateKey: |"; sed 's/^/    /' "$WORK/jwt.pem"
    echo "  publicKey: |"; sed 's/^/    /' "$WORK/jwt.pub"
    echo "serviceKey:"
    echo "  privateKey: |"; sed 's/^/    /' "$WORK/service.pem"
    echo "  publicKey: |"; sed 's/^/    /' "$WORK/service.pub"
    for s in customers inventory orders reviews saga; do
      printf '%s:\n  database:\n    password: chart-test-%s-pw\n' "$s" "$s"
    done
  } >"$SECRETS_VALUES"
  step "check: defaults + every Secret from values" \
    "$CHARTCHECK" check "${COMMON[@]}" --repo "$ROOT" "${ADMIN[@]}" -f "$SECRETS_VALUES"
else
  echo "SKIP  check: defaults + every Secret from values (no openssl to make key pairs)"
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

# No services' key (neither serviceKey.existingSecret nor serviceKey.privateKey):
# the render must fail and name it.
no_service_key_fails() {
  local out
  if out=$("$CHARTCHECK" render "${COMMON[@]}" "${ADMIN[@]}" --set-string postgresql.existingSecret=agora-pg \
    --set-string jwt.existingSecret=agora-jwt 2>&1); then
    echo "rendered without a services' key"
    return 1
  fi
  if ! grep -q 'serviceKey\.privateKey' <<<"$out"; then
    echo "failed, but the message does not name serviceKey.privateKey:"
    echo "$out"
    return 1
  fi
  grep 'serviceKey\.privateKey' <<<"$out" | head -3
}
step "render without the services' key fails, naming it" no_service_key_fails

# The services' key goes where it is needed and nowhere else (production
# values): the gateway gets no AGORA_SERVICE_* variable and no volume of the
# Secret; customers, inventory and saga verify only (public key, no private
# key); orders and reviews sign (private key); the migration Job gets neither.
service_key_placement() {
  local env manifests=$WORK/service-key.yaml values=(-f "$CHART/ci/production-values.yaml")
  env=$("$CHARTCHECK" env "${COMMON[@]}" "${values[@]}" 2>&1) || { echo "env failed:"; echo "$env"; return 1; }
  "$CHARTCHECK" render "${COMMON[@]}" "${values[@]}" >"$manifests" 2>&1 || { echo "render failed:"; cat "$manifests"; return 1; }
  local bad=0 c
  if grep -E '^Deployment/[^ ]+ gateway AGORA_SERVICE_(PUBLIC_)?KEY_FILE=' <<<"$env"; then
    echo "the gateway gets a services' key variable (above)"
    bad=1
  fi
  for c in customers inventory saga; do
    if grep -E "^Deployment/[^ ]+ $c AGORA_SERVICE_KEY_FILE=" <<<"$env"; then
      echo "$c gets the services' private key (above)"
      bad=1
    fi
    if ! grep -qE "^Deployment/[^ ]+ $c AGORA_SERVICE_PUBLIC_KEY_FILE=." <<<"$env"; then
      echo "$c has no AGORA_SERVICE_PUBLIC_KEY_FILE"
      bad=1
    fi
  done
  for c in orders reviews; do
    if ! grep -qE "^Deployment/[^ ]+ $c AGORA_SERVICE_KEY_FILE=." <<<"$env"; then
      echo "$c has no AGORA_SERVICE_KEY_FILE"
      bad=1
    fi
  done
  if grep -E '^Job/[^ ]+ [^ ]+ AGORA_SERVICE_(PUBLIC_)?KEY_FILE=' <<<"$env"; then
    echo "the migration Job gets a services' key variable (above)"
    bad=1
  fi
  # Volumes: the pods (by container) with a volume of the Secret
  # agora-service-key, mounted or not, and which of its keys (items); the
  # private key only in orders and reviews.
  local mounts
  mounts=$(python3 - "$manifests" agora-service-key <<'PY' 2>&1
import sys, yaml
path, secret = sys.argv[1], sys.argv[2]
for doc in yaml.safe_load_all(open(path)):
    if not doc or doc.get("kind") not in ("Deployment", "Job"):
        continue
    pod = doc["spec"]["template"]["spec"]
    for vol in pod.get("volumes") or []:
        src = vol.get("secret") or {}
        if src.get("secretName") != secret:
            continue
        keys = [i["key"] for i in src.get("items") or []] or ["<all-keys>"]
        for c in pod.get("initContainers", []) + pod.get("containers", []):
            print(doc["kind"], c["name"], " ".join(keys))
PY
  ) || { echo "could not read the volumes:"; echo "$mounts"; return 1; }
  if grep -E '^Deployment gateway ' <<<"$mounts"; then
    echo "the gateway has a volume of the services' key Secret (above)"
    bad=1
  fi
  if grep -E '^Job ' <<<"$mounts"; then
    echo "the migration Job has a volume of the services' key Secret (above)"
    bad=1
  fi
  # mounts_key COMPONENT KEY: whether the component's Deployment mounts KEY of the Secret.
  mounts_key() {
    awk -v c="$1" -v k="$2" '$1 == "Deployment" && $2 == c {
      for (i = 3; i <= NF; i++) if ($i == k || $i == "<all-keys>") found = 1
    } END { exit !found }' <<<"$mounts"
  }
  for c in customers inventory saga; do
    if mounts_key "$c" service.pem; then
      echo "$c gets the services' private key: $(grep -E "^Deployment $c " <<<"$mounts")"
      bad=1
    fi
  done
  for c in customers inventory orders reviews saga; do
    mounts_key "$c" service.pub.pem || { echo "$c does not mount the services' public key(s)"; bad=1; }
  done
  for c in orders reviews; do
    mounts_key "$c" service.pem || { echo "$c does not mount the services' private key"; bad=1; }
  done
  ((bad == 0)) || return 1
  echo "$mounts"
}
step "services' key: none in the gateway, no private key in customers/inventory/saga" service_key_placement

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
