#!/usr/bin/env bash
# Creates the services' key of a local run (runtime/auth/service_identity.h):
# an RSA private key in PEM at FILE, unless FILE exists. Every service but
# the gateway gets it as AGORA_SERVICE_KEY_FILE: they sign their calls to
# each other's INTERNAL methods with it and verify with its public half. In
# Kubernetes it comes from a Secret (charts/agora, serviceKey).
#
#   tools/local/service-key.sh FILE
set -euo pipefail
file=${1:?usage: service-key.sh FILE}
[[ -s $file ]] && exit 0
umask 077
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$file.tmp" 2>/dev/null
mv "$file.tmp" "$file"
