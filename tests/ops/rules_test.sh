#!/usr/bin/env bash
# Static checks of Agora's alert rules and Grafana dashboards (no server needed):
#   1. promtool check rules    charts/agora/files/rules/agora.rules.yaml
#   2. promtool test rules     tests/ops/alerts.test.yaml (fires / stays silent)
#   3. every alert: `for:`, labels.severity critical|warning, annotations
#      summary, description, runbook_url = README.md#runbook-<alertname lower>;
#      every alert has a unit test where it fires and one where it is silent
#   4. every dashboard in charts/agora/files/dashboards/*.json parses (jq empty),
#      has a uid, is editable, schemaVersion >= 37, the template variables
#      datasource / namespace / instance, and every panel a non-empty PromQL
#      expression per target using namespace=~"$namespace", instance=~"$instance",
#      $__rate_interval and the datasource variable (panels at top level).
# Runs from any directory; PROMTOOL overrides the promtool binary. Exits
# non-zero, naming what is wrong, on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RULES="$ROOT/charts/agora/files/rules/agora.rules.yaml"
TESTS="$ROOT/tests/ops/alerts.test.yaml"
DASHBOARDS="$ROOT/charts/agora/files/dashboards"
PROMTOOL=${PROMTOOL:-promtool}
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

command -v "$PROMTOOL" >/dev/null || { echo "FAIL: $PROMTOOL not found" >&2; exit 1; }
command -v jq >/dev/null || { echo "FAIL: jq not found" >&2; exit 1; }

# YAML to JSON: python3 with PyYAML, else yq (the jq wrapper).
yaml2json() {
  if python3 -c 'import yaml' 2>/dev/null; then
    python3 -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)' "$1"
  elif command -v yq >/dev/null; then
    yq -c . "$1"
  else
    echo "FAIL: need python3 with PyYAML or yq to read $1" >&2
    return 1
  fi
}

echo "== promtool check rules"
"$PROMTOOL" check rules "$RULES" || fail "promtool check rules $RULES"

echo "== promtool test rules"
"$PROMTOOL" test rules "$TESTS" || fail "promtool test rules $TESTS"

echo "== alert labels, annotations and tests"
rules_json=$(yaml2json "$RULES") || exit 1
tests_json=$(yaml2json "$TESTS") || exit 1
problems=$(jq -r '
  [.groups[].rules[] | select(.alert)] as $alerts
  | if ($alerts | length) == 0 then "no alert in the rules file" else empty end,
    ($alerts[]
     | .alert as $a
     | ("https://github.com/agora-shop/agora/blob/main/README.md#runbook-" + ($a | ascii_downcase)) as $url
     | (if (.for // "") == "" then "\($a): no for:" else empty end),
       (if ((.labels.severity // "") | test("^(critical|warning)$")) then empty
        else "\($a): labels.severity is \(.labels.severity // "missing"), not critical|warning" end),
       (if (.annotations.summary // "") == "" then "\($a): no summary annotation" else empty end),
       (if (.annotations.description // "") == "" then "\($a): no description annotation" else empty end),
       (if ((.annotations.description // "") | test("\\$labels")) then empty
        else "\($a): description does not use $labels" end),
       (if .annotations.runbook_url == $url then empty
        else "\($a): runbook_url is \(.annotations.runbook_url // "missing"), want \($url)" end))
' <<<"$rules_json")
if [[ -n $problems ]]; then
  while IFS= read -r p; do fail "$p"; done <<<"$problems"
fi
while IFS= read -r alert; do
  fires=$(jq --arg a "$alert" '[.tests[].alert_rule_test[]? | select(.alertname == $a and ((.exp_alerts // []) | length) > 0)
          | select(all(.exp_alerts[]; (.exp_labels.severity // "") != ""))] | length' <<<"$tests_json")
  silent=$(jq --arg a "$alert" '[.tests[].alert_rule_test[]? | select(.alertname == $a and ((.exp_alerts // []) | length) == 0)] | length' <<<"$tests_json")
  ((fires > 0)) || fail "$alert: no unit test where it fires (with exp_labels.severity)"
  ((silent > 0)) || fail "$alert: no unit test where it stays silent (exp_alerts: [])"
done < <(jq -r '[.groups[].rules[] | select(.alert) | .alert] | unique[]' <<<"$rules_json")

# Runbook headings: once README.md has "### Runbook: <Alert>" headings, every
# alert needs one (GitHub anchor: runbook-<alertname lower case>).
if grep -q '^### Runbook: ' "$ROOT/README.md" 2>/dev/null; then
  while IFS= read -r alert; do
    grep -qx "### Runbook: $alert" "$ROOT/README.md" || fail "$alert: no '### Runbook: $alert' heading in README.md"
  done < <(jq -r '[.groups[].rules[] | select(.alert) | .alert] | unique[]' <<<"$rules_json")
else
  echo "note: README.md has no '### Runbook: ' headings yet; runbook anchors not checked"
fi

echo "== dashboards"
shopt -s nullglob
dashboards=("$DASHBOARDS"/*.json)
((${#dashboards[@]} > 0)) || fail "no dashboard in $DASHBOARDS"
declare -A uids=()
for f in "${dashboards[@]}"; do
  name=$(basename "$f")
  if ! jq empty "$f" 2>/dev/null; then
    fail "$name: not valid JSON"
    continue
  fi
  uid=$(jq -r '.uid // ""' "$f")
  if [[ -z $uid ]]; then
    fail "$name: no uid"
  elif [[ -n ${uids[$uid]:-} ]]; then
    fail "$name: uid $uid also used by ${uids[$uid]}"
  else
    uids[$uid]=$name
  fi
  problems=$(jq -r --arg f "$name" '
    def dsok: (. // {}) | (.uid // "") | test("^\\$(\\{datasource\\}|datasource)$");
    (if .editable == true then empty else "\($f): editable is not true" end),
    (if (.schemaVersion // 0) >= 37 then empty else "\($f): schemaVersion \(.schemaVersion) < 37" end),
    (if (.title // "") != "" then empty else "\($f): no title" end),
    ([.templating.list[]? | {key: .name, value: .}] | from_entries) as $v
    | (if $v.datasource.type == "datasource" and $v.datasource.query == "prometheus" then empty
       else "\($f): no template variable datasource of type datasource/prometheus" end),
      (if $v.namespace.type == "query" and (($v.namespace.query | if type == "object" then .query else . end) // "" | test("namespace"))
       then empty else "\($f): no query variable namespace" end),
      (if $v.instance.type == "query" and $v.instance.multi == true and $v.instance.includeAll == true and $v.instance.allValue == ".*"
         and (($v.instance.query | if type == "object" then .query else . end) // "" | contains("namespace=~\"$namespace\""))
       then empty else "\($f): variable instance must be a multi, includeAll query variable with allValue .* filtered by $namespace" end),
    (if ([.panels[]? | select(.type != "row")] | length) > 0 then empty else "\($f): no panel" end),
    (.panels[]? | select(.type == "row")
     | (if .collapsed == false then empty else "\($f): row \"\(.title)\" is collapsed (panels must be at top level)" end),
       (if ((.panels // []) | length) == 0 then empty else "\($f): row \"\(.title)\" nests panels" end)),
    (.panels[]? | select(.type != "row") | .title as $t
     | (if .libraryPanel then "\($f): panel \"\($t)\" is a library panel" else empty end),
       (if (.datasource | dsok) then empty else "\($f): panel \"\($t)\" does not use the datasource variable" end),
       (if ((.targets // []) | length) > 0 then empty else "\($f): panel \"\($t)\" has no target" end),
       (.targets[]? | (.expr // "") as $e
        | (if ($e | test("\\S")) then empty else "\($f): panel \"\($t)\" has an empty expr" end),
          (if .hide == true then "\($f): panel \"\($t)\" has a hidden target" else empty end),
          (if (.datasource == null) or (.datasource | dsok) then empty
           else "\($f): panel \"\($t)\" target does not use the datasource variable" end),
          (if ($e | contains("namespace=~\"$namespace\"")) then empty
           else "\($f): panel \"\($t)\" expr lacks namespace=~\"$namespace\"" end),
          (if ($e | contains("instance=~\"$instance\"")) then empty
           else "\($f): panel \"\($t)\" expr lacks instance=~\"$instance\"" end),
          (if ($e | contains("$__rate_interval")) then empty
           else "\($f): panel \"\($t)\" expr lacks $__rate_interval" end),
          (if ($e | test("vector\\s*\\(")) then "\($f): panel \"\($t)\" expr uses vector()" else empty end)))
  ' "$f")
  if [[ -n $problems ]]; then
    while IFS= read -r p; do fail "$p"; done <<<"$problems"
  fi
  dupes=$(jq -r '[.panels[]?.id] | group_by(.) | map(select(length > 1) | .[0]) | .[]' "$f")
  [[ -z $dupes ]] || fail "$name: duplicate panel ids: $dupes"
  echo "$name: $(jq '[.panels[] | select(.type != "row")] | length' "$f") panels"
done

if ((failures > 0)); then
  echo "rules_test: $failures failure(s)" >&2
  exit 1
fi
echo "rules_test: ok"
