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
#     Secret, customers and inventory no private key, orders, reviews and saga
#     the private key (production values);
#   - gateway TLS (production values): the gateway gets AGORA_HTTP_TLS_CERT_FILE
#     and AGORA_HTTP_TLS_KEY_FILE pointing into its mounted TLS Secret, probes
#     over HTTPS, the ServiceMonitor scrapes it over https; no other component
#     gets the TLS Secret; off by default; gateway.tls.enabled without
#     gateway.tls.existingSecret refuses to render, naming it;
#   - the gateway's token keys (production values): AGORA_JWT_PUBLIC_KEY_FILE
#     is a file of its read-only 0440 volume of the JWT Secret holding the
#     public key item only (no private key item, no AGORA_JWT_PRIVATE_KEY_FILE);
#     with gateway.jwksFromCustomers=true neither the variable nor the volume;
#   - every Kafka consumer gets kafka.fetchWaitMaxMs (500 ms: no polling of a
#     real broker), a component's own config winning, the gateway none;
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
# render_fails_naming PATTERN RENDER_ARGS...: rendering with RENDER_ARGS must
# fail, and its message must match PATTERN (grep -iE): it names what is missing.
render_fails_naming() {
  local pattern=$1 out
  shift
  if out=$("$CHARTCHECK" render "${COMMON[@]}" "$@" 2>&1); then
    echo "rendered, but it should have failed naming /$pattern/"
    return 1
  fi
  if ! grep -qiE "$pattern" <<<"$out"; then
    echo "failed, but the message does not match /$pattern/:"
    echo "$out"
    return 1
  fi
  grep -iE "$pattern" <<<"$out" | head -3
}
no_admin_password_fails() {
  render_fails_naming 'admin(istrator)?[ ._]?password' --set-string admin.email=admin@example.com "${EXISTING[@]}"
}
step "render without admin.password fails, naming it" no_admin_password_fails

# No services' key (neither serviceKey.existingSecret nor serviceKey.privateKey):
# the render must fail and name it.
no_service_key_fails() {
  render_fails_naming 'serviceKey\.privateKey' "${ADMIN[@]}" --set-string postgresql.existingSecret=agora-pg \
    --set-string jwt.existingSecret=agora-jwt
}
step "render without the services' key fails, naming it" no_service_key_fails

# The services' key goes where it is needed and nowhere else (production
# values): the gateway gets no AGORA_SERVICE_* variable and no volume of the
# Secret; customers and inventory verify only (public key, no private key);
# orders, reviews and saga sign (private key); the migration Job gets neither.
service_key_placement() {
  local env manifests=$WORK/service-key.yaml values=(-f "$CHART/ci/production-values.yaml")
  env=$("$CHARTCHECK" env "${COMMON[@]}" "${values[@]}" 2>&1) || { echo "env failed:"; echo "$env"; return 1; }
  "$CHARTCHECK" render "${COMMON[@]}" "${values[@]}" >"$manifests" 2>&1 || { echo "render failed:"; cat "$manifests"; return 1; }
  local bad=0 c
  if grep -E '^Deployment/[^ ]+ gateway AGORA_SERVICE_(PUBLIC_)?KEY_FILE=' <<<"$env"; then
    echo "the gateway gets a services' key variable (above)"
    bad=1
  fi
  for c in customers inventory; do
    if grep -E "^Deployment/[^ ]+ $c AGORA_SERVICE_KEY_FILE=" <<<"$env"; then
      echo "$c gets the services' private key (above)"
      bad=1
    fi
    if ! grep -qE "^Deployment/[^ ]+ $c AGORA_SERVICE_PUBLIC_KEY_FILE=." <<<"$env"; then
      echo "$c has no AGORA_SERVICE_PUBLIC_KEY_FILE"
      bad=1
    fi
  done
  for c in orders reviews saga; do
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
  # private key only in orders, reviews and saga.
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
  for c in customers inventory; do
    if mounts_key "$c" service.pem; then
      echo "$c gets the services' private key: $(grep -E "^Deployment $c " <<<"$mounts")"
      bad=1
    fi
  done
  for c in customers inventory orders reviews saga; do
    mounts_key "$c" service.pub.pem || { echo "$c does not mount the services' public key(s)"; bad=1; }
  done
  for c in orders reviews saga; do
    mounts_key "$c" service.pem || { echo "$c does not mount the services' private key"; bad=1; }
  done
  ((bad == 0)) || return 1
  echo "$mounts"
}
step "services' key: none in the gateway, no private key in customers/inventory" service_key_placement

# Gateway TLS (production values, gateway.tls.existingSecret agora-gateway-tls):
# the gateway's AGORA_HTTP_TLS_CERT_FILE / AGORA_HTTP_TLS_KEY_FILE are the
# files tls.crt / tls.key of its mounted TLS Secret volume (read-only, 0440),
# its startup, readiness and liveness probes use scheme HTTPS, the
# ServiceMonitor scrapes its port http over https with a tlsConfig, the
# Ingress talks HTTPS to it; no other container gets an AGORA_HTTP_TLS_*
# variable, and no other pod gets the Secret (volume, env or envFrom).
gateway_tls_placement() {
  local env=$WORK/tls-env.txt manifests=$WORK/tls.yaml values=(-f "$CHART/ci/production-values.yaml")
  "$CHARTCHECK" env "${COMMON[@]}" "${values[@]}" >"$env" 2>&1 || { echo "env failed:"; cat "$env"; return 1; }
  "$CHARTCHECK" render "${COMMON[@]}" "${values[@]}" >"$manifests" 2>&1 || { echo "render failed:"; cat "$manifests"; return 1; }
  python3 - "$manifests" "$env" agora-gateway-tls <<'PY'
import sys, yaml
path, env_path, secret = sys.argv[1], sys.argv[2], sys.argv[3]
bad = []
# `chartcheck env`: "<Kind>/<name> <container> NAME=value" per line.
env = {}
for line in open(env_path):
    parts = line.rstrip("\n").split(" ", 2)
    if len(parts) == 3 and "=" in parts[2]:
        name, value = parts[2].split("=", 1)
        env.setdefault((parts[0], parts[1]), {})[name] = value
tls_vars = ("AGORA_HTTP_TLS_CERT_FILE", "AGORA_HTTP_TLS_KEY_FILE")
for (workload, container), variables in sorted(env.items()):
    if container != "gateway":
        for v in tls_vars:
            if v in variables:
                bad.append(f"{workload} {container} gets {v}={variables[v]}")

def refs_secret(pod):
    """What of the pod refers to the Secret: volumes, env secretKeyRef, envFrom secretRef."""
    found = []
    for vol in pod.get("volumes") or []:
        if (vol.get("secret") or {}).get("secretName") == secret:
            found.append(f"volume {vol['name']}")
        for src in (vol.get("projected") or {}).get("sources") or []:
            if (src.get("secret") or {}).get("name") == secret:
                found.append(f"projected volume {vol['name']}")
    for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        for e in c.get("env") or []:
            if ((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name") == secret:
                found.append(f"env {e['name']} of {c['name']}")
        for e in c.get("envFrom") or []:
            if (e.get("secretRef") or {}).get("name") == secret:
                found.append(f"envFrom of {c['name']}")
    return found

docs = [d for d in yaml.safe_load_all(open(path)) if d]
gateway = None
for d in docs:
    if d.get("kind") not in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        continue
    pod = d["spec"]["template"]["spec"]
    component = d["metadata"].get("labels", {}).get("app.kubernetes.io/component")
    if d["kind"] == "Deployment" and component == "gateway":
        gateway = d
        continue
    for f in refs_secret(pod):
        bad.append(f"{d['kind']}/{d['metadata']['name']} gets the gateway's TLS Secret {secret}: {f}")

if gateway is None:
    bad.append("no gateway Deployment")
else:
    wid = f"Deployment/{gateway['metadata']['name']}"
    pod = gateway["spec"]["template"]["spec"]
    c = next(c for c in pod["containers"] if c["name"] == "gateway")
    vols = {v["name"]: v for v in pod.get("volumes") or [] if (v.get("secret") or {}).get("secretName") == secret}
    if not vols:
        bad.append(f"{wid}: no volume of the Secret {secret}")
    for v in vols.values():
        mode = v["secret"].get("defaultMode")
        if mode != 0o440:
            bad.append(f"{wid}: volume {v['name']} has defaultMode {mode}, not 0440 (288)")
    # The files each mount of the Secret provides: mountPath/<item path> -> key.
    files = {}
    for m in c.get("volumeMounts") or []:
        v = vols.get(m["name"])
        if v is None:
            continue
        if not m.get("readOnly"):
            bad.append(f"{wid}: the TLS Secret is mounted read-write at {m['mountPath']}")
        items = v["secret"].get("items") or [{"key": k, "path": k} for k in ("tls.crt", "tls.key", "ca.crt")]
        for it in items:
            files[m["mountPath"].rstrip("/") + "/" + it["path"]] = it["key"]
    if not files:
        bad.append(f"{wid}: the gateway container mounts no volume of the Secret {secret}")
    gw_env = env.get((wid, "gateway"), {})
    for var, key in (("AGORA_HTTP_TLS_CERT_FILE", "tls.crt"), ("AGORA_HTTP_TLS_KEY_FILE", "tls.key")):
        value = gw_env.get(var)
        if not value:
            bad.append(f"{wid}: the gateway has no {var}")
        elif value not in files:
            bad.append(f"{wid}: {var}={value} is not a file of the mounted Secret {secret} ({', '.join(sorted(files)) or 'none'})")
        elif files[value] != key:
            bad.append(f"{wid}: {var}={value} is the Secret's key {files[value]}, not {key}")
        else:
            print(f"gateway {var}={value} (key {key} of Secret {secret})")
    probes_ok = True
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = (c.get(probe) or {}).get("httpGet")
        if not get:
            bad.append(f"{wid}: {probe} is not an httpGet probe")
            probes_ok = False
        elif get.get("scheme") != "HTTPS":
            bad.append(f"{wid}: {probe} scheme is {get.get('scheme', 'HTTP (default)')}, not HTTPS")
            probes_ok = False
    if probes_ok:
        print("gateway startup, readiness and liveness probes: scheme HTTPS")

for d in docs:
    if d.get("kind") == "ServiceMonitor":
        eps = [e for e in d["spec"].get("endpoints") or [] if e.get("port") == "http"]
        if not eps:
            bad.append(f"ServiceMonitor/{d['metadata']['name']}: no endpoint for the gateway's port http")
        for e in eps:
            if e.get("scheme") != "https" or not e.get("tlsConfig"):
                bad.append(f"ServiceMonitor/{d['metadata']['name']}: the gateway endpoint is scheme {e.get('scheme')}, tlsConfig {e.get('tlsConfig')}")
    if d.get("kind") == "Ingress":
        proto = (d["metadata"].get("annotations") or {}).get("nginx.ingress.kubernetes.io/backend-protocol")
        if proto != "HTTPS":
            bad.append(f"Ingress/{d['metadata']['name']}: backend-protocol is {proto}, not HTTPS")

if bad:
    print("\n".join(bad))
    sys.exit(1)
print(f"no other workload gets the Secret {secret} or an AGORA_HTTP_TLS_* variable")
PY
}
step "gateway TLS: files of its own TLS Secret, HTTPS probes, nobody else gets the Secret" gateway_tls_placement

# Gateway TLS is off by default: no AGORA_HTTP_TLS_* variable, plain HTTP probes.
gateway_tls_off_by_default() {
  local env manifests=$WORK/defaults-tls.yaml
  env=$("$CHARTCHECK" env "${COMMON[@]}" "${ADMIN[@]}" "${EXISTING[@]}" 2>&1) || { echo "env failed:"; echo "$env"; return 1; }
  if grep -E ' AGORA_HTTP_TLS_(CERT|KEY)_FILE=' <<<"$env"; then
    echo "AGORA_HTTP_TLS_* set by default (above)"
    return 1
  fi
  "$CHARTCHECK" render "${COMMON[@]}" "${ADMIN[@]}" "${EXISTING[@]}" >"$manifests" 2>&1 || { echo "render failed:"; cat "$manifests"; return 1; }
  if grep -nE 'scheme: HTTPS' "$manifests"; then
    echo "a probe uses HTTPS by default (above)"
    return 1
  fi
  echo "no AGORA_HTTP_TLS_* variable, no HTTPS probe"
}
step "gateway TLS off by default" gateway_tls_off_by_default

# gateway.tls.enabled without gateway.tls.existingSecret: the render must fail
# and name it.
no_gateway_tls_secret_fails() {
  render_fails_naming 'gateway\.tls\.existingSecret' "${ADMIN[@]}" "${EXISTING[@]}" --set gateway.tls.enabled=true
}
step "render with gateway.tls.enabled and no existingSecret fails, naming it" no_gateway_tls_secret_fails

# The gateway's token keys. Production values (jwt.existingSecret agora-jwt,
# keys private.pem / public.pem): the gateway's AGORA_JWT_PUBLIC_KEY_FILE is
# the file of the public key item (jwt.publicKeyKey) of its volume of the JWT
# Secret, mounted read-only, mode 0440; that volume holds no other item (never
# the private key), the gateway gets no AGORA_JWT_PRIVATE_KEY_FILE and nothing
# else of the Secret (env, envFrom, projected volume). With
# gateway.jwksFromCustomers=true (the JWKS of customers): no
# AGORA_JWT_PUBLIC_KEY_FILE and no volume of the JWT Secret in the gateway.
# gateway_jwt_keys MODE [VALUES...]: MODE "file" or "jwks".
gateway_jwt_keys() {
  local mode=$1
  shift
  local env=$WORK/jwt-env-$mode.txt manifests=$WORK/jwt-$mode.yaml
  "$CHARTCHECK" env "${COMMON[@]}" "$@" >"$env" 2>&1 || { echo "env failed:"; cat "$env"; return 1; }
  "$CHARTCHECK" render "${COMMON[@]}" "$@" >"$manifests" 2>&1 || { echo "render failed:"; cat "$manifests"; return 1; }
  python3 - "$mode" "$manifests" "$env" agora-jwt public.pem private.pem <<'PY'
import sys, yaml
mode, path, env_path, secret, public_key, private_key = sys.argv[1:7]
bad = []
# `chartcheck env`: "<Kind>/<name> <container> NAME=value" per line.
env = {}
for line in open(env_path):
    parts = line.rstrip("\n").split(" ", 2)
    if len(parts) == 3 and "=" in parts[2]:
        name, value = parts[2].split("=", 1)
        env.setdefault((parts[0], parts[1]), {})[name] = value

docs = [d for d in yaml.safe_load_all(open(path)) if d]
gateways = [d for d in docs if d.get("kind") == "Deployment"
            and d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "gateway"]
if len(gateways) != 1:
    print(f"{len(gateways)} gateway Deployments, not 1")
    sys.exit(1)
gateway = gateways[0]
wid = f"Deployment/{gateway['metadata']['name']}"
pod = gateway["spec"]["template"]["spec"]
containers = (pod.get("initContainers") or []) + (pod.get("containers") or [])
c = next((c for c in pod.get("containers") or [] if c["name"] == "gateway"), None)
if c is None:
    print(f"{wid}: no container gateway")
    sys.exit(1)
gw_env = env.get((wid, "gateway"), {})

# Every reference of the pod to the JWT Secret but plain secret volumes
# (checked below): projected volumes, env secretKeyRef, envFrom secretRef.
for vol in pod.get("volumes") or []:
    for src in (vol.get("projected") or {}).get("sources") or []:
        if (src.get("secret") or {}).get("name") == secret:
            bad.append(f"{wid}: projected volume {vol['name']} of the JWT Secret {secret}")
for ct in containers:
    for e in ct.get("env") or []:
        if ((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name") == secret:
            bad.append(f"{wid}: env {e['name']} of {ct['name']} from the JWT Secret {secret}")
    for e in ct.get("envFrom") or []:
        if (e.get("secretRef") or {}).get("name") == secret:
            bad.append(f"{wid}: envFrom of {ct['name']} takes the JWT Secret {secret}")
if "AGORA_JWT_PRIVATE_KEY_FILE" in gw_env:
    bad.append(f"{wid}: the gateway gets AGORA_JWT_PRIVATE_KEY_FILE={gw_env['AGORA_JWT_PRIVATE_KEY_FILE']}")

vols = {v["name"]: v for v in pod.get("volumes") or [] if (v.get("secret") or {}).get("secretName") == secret}
if mode == "jwks":
    for name in vols:
        bad.append(f"{wid}: volume {name} of the JWT Secret {secret} with gateway.jwksFromCustomers")
    if "AGORA_JWT_PUBLIC_KEY_FILE" in gw_env:
        bad.append(f"{wid}: AGORA_JWT_PUBLIC_KEY_FILE={gw_env['AGORA_JWT_PUBLIC_KEY_FILE']} with gateway.jwksFromCustomers")
    if not bad:
        print("gateway.jwksFromCustomers: no AGORA_JWT_PUBLIC_KEY_FILE, no volume of the JWT Secret")
else:
    if not vols:
        bad.append(f"{wid}: no volume of the JWT Secret {secret}")
    for v in vols.values():
        mode_bits = v["secret"].get("defaultMode")
        if mode_bits != 0o440:
            bad.append(f"{wid}: volume {v['name']} has defaultMode {mode_bits}, not 0440 (288)")
        items = v["secret"].get("items")
        if not items:
            bad.append(f"{wid}: volume {v['name']} has no items: every key of {secret}, the private key included")
            continue
        keys = [it["key"] for it in items]
        if keys != [public_key]:
            bad.append(f"{wid}: volume {v['name']} items {keys}, not only the public key {public_key}")
        for it in items:
            if it.get("mode") not in (None, 0o440):
                bad.append(f"{wid}: item {it['key']} of volume {v['name']} has mode {it['mode']}, not 0440")
    # The files each mount of the Secret provides: mountPath/<item path> -> key.
    files = {}
    for m in c.get("volumeMounts") or []:
        v = vols.get(m["name"])
        if v is None:
            continue
        if not m.get("readOnly"):
            bad.append(f"{wid}: the JWT Secret is mounted read-write at {m['mountPath']}")
        if m.get("subPath"):
            bad.append(f"{wid}: the JWT Secret is mounted with subPath at {m['mountPath']} (never updated: a rotation would not reach the gateway)")
            continue
        for it in v["secret"].get("items") or []:
            files[m["mountPath"].rstrip("/") + "/" + it["path"]] = it["key"]
    if private_key in files.values():
        bad.append(f"{wid}: the gateway mounts the private key {private_key}")
    value = gw_env.get("AGORA_JWT_PUBLIC_KEY_FILE")
    if not value:
        bad.append(f"{wid}: the gateway has no AGORA_JWT_PUBLIC_KEY_FILE")
    elif value not in files:
        bad.append(f"{wid}: AGORA_JWT_PUBLIC_KEY_FILE={value} is not a file of a mounted volume of {secret} ({', '.join(sorted(files)) or 'none'})")
    elif files[value] != public_key:
        bad.append(f"{wid}: AGORA_JWT_PUBLIC_KEY_FILE={value} is the key {files[value]} of {secret}, not {public_key}")
    if not bad:
        print(f"gateway AGORA_JWT_PUBLIC_KEY_FILE={value} (key {public_key} of Secret {secret}, read-only, 0440, no other item)")

if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
}
step "gateway JWT keys: the public key file of the JWT Secret, never the private key" \
  gateway_jwt_keys file -f "$CHART/ci/production-values.yaml"
step "gateway JWT keys: gateway.jwksFromCustomers=true, no key file and no JWT volume" \
  gateway_jwt_keys jwks -f "$CHART/ci/production-values.yaml" --set gateway.jwksFromCustomers=true

# Signed-out sessions: every process that checks access tokens but customers
# (which reads its own table) polls customers, so each has its address (the
# NetworkPolicy side is chartcheck's reachability check).
revocation_pollers_reach_customers() {
  local env bad=0
  env=$("$CHARTCHECK" env "${COMMON[@]}" "$@" 2>&1) || { echo "render failed:"; echo "$env"; return 1; }
  for c in gateway inventory orders reviews saga; do
    grep -qE "^Deployment/[^ ]+ $c AGORA_CUSTOMERS_ADDRESS=[^ ]+-customers(-headless)?:[0-9]+$" <<<"$env" ||
      { echo "$c has no AGORA_CUSTOMERS_ADDRESS naming customers' Service"; bad=1; }
  done
  ((bad == 0)) || { grep -E 'AGORA_CUSTOMERS_ADDRESS' <<<"$env"; return 1; }
  grep -E 'AGORA_CUSTOMERS_ADDRESS' <<<"$env"
}
step "revocations: gateway, inventory, orders, reviews and saga know customers' address" \
  revocation_pollers_reach_customers "${ADMIN[@]}" "${EXISTING[@]}"
step "revocations: the same with production values (headless Services)" \
  revocation_pollers_reach_customers -f "$CHART/ci/production-values.yaml"

# Consumers wait for Kafka's answer instead of polling it: every gRPC
# service gets the fetch wait of values.yaml (500 ms), the gateway none.
fetch_wait() {
  local env want=$1 bad=0
  shift
  env=$("$CHARTCHECK" env "${COMMON[@]}" "$@" 2>&1) || { echo "render failed:"; echo "$env"; return 1; }
  for c in customers inventory orders reviews saga; do
    grep -qE "^Deployment/[^ ]+ $c AGORA_KAFKA_FETCH_WAIT_MAX_MS=$want$" <<<"$env" ||
      { echo "$c has no AGORA_KAFKA_FETCH_WAIT_MAX_MS=$want"; bad=1; }
  done
  if grep -qE "^Deployment/[^ ]+ gateway AGORA_KAFKA_FETCH_WAIT_MAX_MS=" <<<"$env"; then
    echo "the gateway (no Kafka) gets AGORA_KAFKA_FETCH_WAIT_MAX_MS"; bad=1
  fi
  grep -E 'AGORA_KAFKA_FETCH_WAIT_MAX_MS' <<<"$env"
  ((bad == 0))
}
step "kafka.fetchWaitMaxMs: 500 ms for every consumer by default" fetch_wait 500 "${ADMIN[@]}" "${EXISTING[@]}"
step "kafka.fetchWaitMaxMs: set to 200" fetch_wait 200 "${ADMIN[@]}" "${EXISTING[@]}" --set kafka.fetchWaitMaxMs=200
fetch_wait_own() {
  local env
  env=$("$CHARTCHECK" env "${COMMON[@]}" "${ADMIN[@]}" "${EXISTING[@]}" \
    --set saga.config.AGORA_KAFKA_FETCH_WAIT_MAX_MS=50 2>&1) || { echo "render failed:"; echo "$env"; return 1; }
  grep -qE "^Deployment/[^ ]+ saga AGORA_KAFKA_FETCH_WAIT_MAX_MS=50$" <<<"$env" ||
    { grep -E 'AGORA_KAFKA_FETCH_WAIT_MAX_MS' <<<"$env"; echo "saga.config's own value was not kept"; return 1; }
  grep -qE "^Deployment/[^ ]+ orders AGORA_KAFKA_FETCH_WAIT_MAX_MS=500$" <<<"$env" || { echo "orders lost the default"; return 1; }
}
step "kafka.fetchWaitMaxMs: a component's own config wins" fetch_wait_own

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
# Rollouts: every Deployment's container sleeps preStopSleepSeconds (5) before
# SIGTERM, so that the endpoints forget the pod while it still serves; 0
# renders none. customers accepts the published JWT public key(s) beside its
# signing key (key rotation): it has AGORA_JWT_PUBLIC_KEY_FILE.
pre_stop_and_customers_keys() {
  local out n env
  out=$("$CHARTCHECK" render "${COMMON[@]}" -f "$CHART/ci/production-values.yaml" 2>&1) || { echo "$out"; return 1; }
  n=$(grep -c 'command: \["/bin/sleep", "5"\]' <<<"$out" || true)
  [[ $n == 6 ]] || { echo "preStop sleep in $n containers, want 6 (gateway and five services)"; return 1; }
  out=$("$CHARTCHECK" render "${COMMON[@]}" -f "$CHART/ci/production-values.yaml" --set preStopSleepSeconds=0 2>&1) ||
    { echo "$out"; return 1; }
  ! grep -q 'preStop' <<<"$out" || { echo "preStopSleepSeconds=0 still renders a preStop"; return 1; }
  env=$("$CHARTCHECK" env "${COMMON[@]}" -f "$CHART/ci/production-values.yaml" 2>&1) || { echo "$env"; return 1; }
  grep -qE '^Deployment/[^ ]+ customers AGORA_JWT_PUBLIC_KEY_FILE=/etc/agora/jwt/public.pem$' <<<"$env" ||
    { echo "customers has no AGORA_JWT_PUBLIC_KEY_FILE=/etc/agora/jwt/public.pem"; return 1; }
}
step "preStop sleep on every Deployment; customers reads the published JWT keys" pre_stop_and_customers_keys

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
