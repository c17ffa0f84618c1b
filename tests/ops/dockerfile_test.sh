#!/usr/bin/env bash
# The Dockerfile checked against the build, since no Docker engine runs here:
#
#   - its runtime stage's packages (and what apt would pull with them, or
#     what debian:bookworm-slim already holds: Priority required) provide
#     every shared library each binary links, found with ldd and dpkg -S;
#   - its build stage installs every build package of ./agora install but
#     the test-only ones;
#   - it builds and copies every binary the chart runs (the chart's
#     /usr/local/bin/<name> commands), and runs as a numeric non-root user;
#   - no base image is :latest.
#
#   tests/ops/dockerfile_test.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "${1:?usage: dockerfile_test.sh BUILD_DIR}")
DOCKERFILE=$ROOT/Dockerfile
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# The apt-get install list of a stage: stage 1 is the build, 2 the runtime.
apt_list() {
  awk -v want="$1" '/^FROM /{stage++} stage == want' "$DOCKERFILE" |
    sed -n '/apt-get install/,/&&/p' | tr ' \\' '\n\n' |
    grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vxE 'apt-get|install|update|rm|&&|DEBIAN_FRONTEND=noninteractive' || true
}
mapfile -t build_pkgs < <(apt_list 1)
# A set, not `printf | grep -q`: under pipefail, grep -q's early exit can
# kill printf with SIGPIPE and fail the pipeline although the package is there.
declare -A in_build=()
for p in "${build_pkgs[@]}"; do in_build[$p]=1; done
mapfile -t runtime_pkgs < <(apt_list 2)
[[ ${#runtime_pkgs[@]} -gt 3 ]] || fail "no runtime package list found in the Dockerfile"

# What the runtime stage would hold: its packages, their dependencies, and
# the required packages of the slim base.
declare -A provided
while read -r p; do provided[${p%%:*}]=1; done < <(
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances "${runtime_pkgs[@]}" 2>/dev/null | grep -E '^[a-z0-9]' | sed 's/^<\(.*\)>$/\1/')
while read -r p; do provided[$p]=1; done < <(
  dpkg-query -W -f='${Package} ${Priority}\n' 2>/dev/null | awk '$2 == "required" {print $1}')

binaries=(gateway/gateway customers/customers inventory/inventory orders/orders reviews/reviews saga/saga tools/agoractl)
declare -A linked_by  # library path -> a binary that links it
for b in "${binaries[@]}"; do
  [[ -x $BUILD/$b ]] || { fail "$BUILD/$b is not built"; continue; }
  while read -r lib; do linked_by[$lib]=$b; done < <(ldd "$BUILD/$b" | awk '/=> \// {print $3}')
  name=${b##*/}
  grep -qE "(^|[^a-z])$name([^a-z]|$)" <(grep -E 'ninja -C' "$DOCKERFILE") || fail "the Dockerfile does not build $name"
done
# One dpkg -S for every path (it is slow per call): each library as linked
# and as resolved, with and without /usr (merged /usr).
declare -A owner
paths=()
for lib in "${!linked_by[@]}"; do
  real=$(realpath "$lib")
  paths+=("$lib" "$real" "${lib#/usr}" "${real#/usr}" "/usr${lib#/usr}" "/usr${real#/usr}")
done
while IFS= read -r line; do
  pkgs=${line%%: *} path=${line#*: }
  owner[$path]=${pkgs%%[:,]*}
done < <(dpkg -S "${paths[@]}" 2>/dev/null || true)
for lib in "${!linked_by[@]}"; do
  real=$(realpath "$lib") pkg=""
  for candidate in "$lib" "$real" "${lib#/usr}" "${real#/usr}" "/usr${lib#/usr}" "/usr${real#/usr}"; do
    [[ -n ${owner[$candidate]:-} ]] && { pkg=${owner[$candidate]}; break; }
  done
  if [[ -z $pkg ]]; then fail "${linked_by[$lib]} links $lib, which no Debian package ships"
  elif [[ -z ${provided[$pkg]:-} ]]; then fail "${linked_by[$lib]} links $lib from $pkg, which the runtime stage does not install"
  fi
done
grep -q 'for b in gateway customers inventory orders reviews saga; do cp' "$DOCKERFILE" ||
  fail "the Dockerfile does not copy every service binary to /out"

# Every binary the chart runs is in the image.
while read -r bin; do
  [[ -n $bin ]] || continue
  grep -qE "ninja -C /build .*\\b$bin\\b" "$DOCKERFILE" || fail "the chart runs /usr/local/bin/$bin, which the image lacks"
done < <(grep -rhoE '/usr/local/bin/[a-z]+' "$ROOT/charts/agora/templates" "$ROOT/charts/agora/values.yaml" 2>/dev/null |
         sed 's|/usr/local/bin/||' | sort -u)

# The build stage has what ./agora install has, but the test-only packages.
test_only='^(postgresql-15|clang-14|libclang-rt-14-dev|openssl|util-linux|golang-go|golang-github-masterminds-sprig-dev|golang-gopkg-yaml.v3-dev|yamllint|prometheus|jq|python3|python3-yaml)$'
while read -r p; do
  [[ $p =~ $test_only ]] && continue
  [[ -n ${in_build[$p]:-} ]] || fail "the build stage lacks $p (./agora install has it)"
done < <(sed -n '/^PACKAGES=(/,/^)/p' "$ROOT/agora" | tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$')

grep -qE '^USER [1-9][0-9]*(:[1-9][0-9]*)?$' "$DOCKERFILE" || fail "the image does not run as a numeric non-root USER"
if grep -E '^(FROM|ARG) .*:latest' "$DOCKERFILE"; then fail "a base image is :latest"; fi

if [[ $failures -gt 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "ok: ${#runtime_pkgs[@]} runtime packages provide the libraries of ${#binaries[@]} binaries; build stage matches ./agora install"
