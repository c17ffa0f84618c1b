#!/usr/bin/env bash
# Writes a Prometheus configuration that scrapes a local Agora system, with
# the target labels the chart's ServiceMonitor gives in Kubernetes (so that
# the dashboards and alert rules read the same series here and there):
# namespace, service (gateway, customers, ...), instance and job.
#
#   tools/local/prometheus-config.sh OUT NAMESPACE INTERVAL RULES_FILE NAME=HOST:PORT...
#
# INTERVAL is the scrape and rule evaluation interval (e.g. 1s in tests, 5s
# for ./agora up); RULES_FILE ("" for none) is loaded as a rule file. The
# gateway serves /metrics on its HTTP port, every service on its own port.
set -euo pipefail
out=${1:?usage: prometheus-config.sh OUT NAMESPACE INTERVAL RULES_FILE NAME=HOST:PORT...}
namespace=${2:?namespace}
interval=${3:?interval}
rules=${4-}
shift 4
{
  printf 'global:\n  scrape_interval: %s\n  evaluation_interval: %s\n' "$interval" "$interval"
  if [[ -n $rules ]]; then printf 'rule_files:\n  - %s\n' "$rules"; fi
  printf 'scrape_configs:\n'
  for target in "$@"; do
    name=${target%%=*} address=${target#*=}
    [[ $name =~ ^[a-z]+$ && $address =~ ^[0-9A-Za-z.-]+:[0-9]+$ ]] ||
      { echo "prometheus-config.sh: bad target '$target' (NAME=HOST:PORT)" >&2; exit 2; }
    printf '  - job_name: %s\n    static_configs:\n      - targets: ["%s"]\n' "$name" "$address"
    printf '        labels: {namespace: "%s", service: "%s"}\n' "$namespace" "$name"
  done
} >"$out"
