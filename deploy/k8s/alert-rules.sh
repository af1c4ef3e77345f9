#!/usr/bin/env bash
# The chart's alert rules as Prometheus loads them: the PrometheusRule's `spec` (groups), on stdout.
#   alert-rules.sh HELM PYTHON RELEASE NAMESPACE [helm template args...]
# Used by check-charts.sh (promtool) and deploy/cluster/release.sh monitoring (a Prometheus without the operator).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
helm=$1 python=$2 release=$3 namespace=$4; shift 4
"$helm" template "$release" "$ROOT/charts/portal" --namespace "$namespace" --kube-version 1.34.0 "$@" \
  --set prometheusRule.enabled=true --show-only templates/prometheusrule.yaml |
  "$python" -c 'import sys, yaml; print(yaml.safe_dump(yaml.safe_load(sys.stdin)["spec"]))'
