#!/usr/bin/env bash
# Builds chartcheck offline, in GOPATH mode, from Debian's Go packages:
#   apt-get install golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev
#
#   tools/chartcheck/build.sh OUTPUT_BINARY          # build
#   tools/chartcheck/build.sh --test                 # go vet + go test
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GOCODE=${GOCODE:-/usr/share/gocode}
for pkg in github.com/Masterminds/sprig gopkg.in/yaml.v3; do
  [[ -d $GOCODE/src/$pkg ]] || { echo "build.sh: $GOCODE/src/$pkg missing (apt-get install golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev)" >&2; exit 1; }
done
command -v go >/dev/null || { echo "build.sh: go not found (apt-get install golang-go)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chartcheck-build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/gopath/src/agora"
ln -s "$SRC" "$WORK/gopath/src/agora/chartcheck"
export GO111MODULE=off GOPATH="$WORK/gopath:$GOCODE" GOFLAGS='' GOPROXY=off
export GOCACHE=${CHARTCHECK_GOCACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/chartcheck-go}
mkdir -p "$GOCACHE" 2>/dev/null || export GOCACHE="$WORK/cache"
cd "$WORK/gopath/src/agora/chartcheck"
if [[ ${1:-} == --test ]]; then
  shift
  go vet agora/chartcheck
  go test "$@" agora/chartcheck
  exit 0
fi
[[ $# -eq 1 ]] || { echo "usage: build.sh OUTPUT_BINARY | build.sh --test [go test flags]" >&2; exit 2; }
OUT=$1
[[ $OUT == /* ]] || OUT="$OLDPWD/$OUT"
go build -o "$OUT" agora/chartcheck
