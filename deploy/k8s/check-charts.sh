#!/usr/bin/env bash
# Offline checks of the Helm chart (part of `make test`): check-charts.sh [manifests] [rules] (default: both)
#   helm lint --strict; helm template with the default, minimal and production-like values;
#   every rendered manifest validated against Kubernetes 1.34 (kubernetes-validate --strict);
#   checkov on the rendered manifests with zero failed checks (skips, each with its reason, in checkov.yaml);
#   rules: the alert rules checked and unit-tested by promtool (make test runs them once promtool is compiled).
# Tools are installed on first use and cached: helm through the Go module proxy, the rest from PyPI.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PORTAL_CACHE=${PORTAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portal}
# shellcheck source=../cluster/versions.env
source "$ROOT/deploy/cluster/versions.env"
KUBE_VERSION=1.34.0
HELM=$PORTAL_CACHE/bin/helm-$HELM_VERSION
CHART=$ROOT/charts/portal
OUT=${CHART_RENDER_DIR:-$ROOT/build/charts}
say() { printf '[charts] %s\n' "$*" >&2; }

"$ROOT/deploy/cluster/build.sh" helm

lock=$ROOT/deploy/k8s/chart-tools-requirements.txt
TOOLS=$PORTAL_CACHE/chart-tools-$(sha256sum "$lock" | cut -c1-16)
if [ ! -f "$TOOLS/.complete" ]; then
  say "installing kubernetes-validate and checkov (first run only)..."
  rm -rf "$TOOLS" && python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q --disable-pip-version-check --require-hashes -r "$lock"
  touch "$TOOLS/.complete"
fi

manifests() {
  rm -rf "$OUT" && mkdir -p "$OUT"
  for values in default "$CHART/ci/minimal.yaml" "$CHART/ci/production.yaml"; do
    name=$(basename "$values" .yaml)
    args=(); [ "$values" = default ] || args=(-f "$values")
    say "lint + template: $name"
    "$HELM" lint --strict --kube-version "$KUBE_VERSION" "$CHART" "${args[@]}" >/dev/null
    "$HELM" template portal "$CHART" --kube-version "$KUBE_VERSION" --namespace portal "${args[@]}" \
      --output-dir "$OUT/$name" >/dev/null
  done

  for dev in portal-dev-deps portal-dev-monitoring; do  # the test cluster's own charts
    "$HELM" lint --strict --kube-version "$KUBE_VERSION" "$ROOT/charts/$dev" >/dev/null
  done

  say "kubernetes-validate (Kubernetes $KUBE_VERSION, strict)"
  # CRDs (ServiceMonitor, HTTPRoute) have no built-in schema: validated by their own checks below.
  find "$OUT" -name '*.yaml' ! -path "$OUT/rules/*" -print0 | xargs -0 "$TOOLS/bin/kubernetes-validate" -k "$KUBE_VERSION" --strict --quiet

  say "checkov"
  "$TOOLS/bin/checkov" --quiet --compact --framework kubernetes --skip-download \
    --config-file "$ROOT/deploy/k8s/checkov.yaml" -d "$OUT" >&2
  say "manifests OK"
}

rules() {
  # The alert rules as Prometheus loads them (the PrometheusRule's spec): checked, then unit-tested.
  say "promtool: check and test the alert rules"
  "$ROOT/deploy/cluster/build.sh" promtool
  local promtool=$PORTAL_CACHE/cluster/bin/promtool-$PROMETHEUS_BUILD
  rm -rf "$OUT/rules" && mkdir -p "$OUT/rules"
  "$ROOT/deploy/k8s/alert-rules.sh" "$HELM" "$TOOLS/bin/python" portal portal > "$OUT/rules/portal-rules.yml"
  cp "$ROOT/deploy/k8s/alerts.test.yml" "$OUT/rules/"
  "$promtool" check rules "$OUT/rules/portal-rules.yml" >&2
  "$promtool" test rules "$OUT/rules/alerts.test.yml" >&2
  say "rules OK"
}

[ $# -gt 0 ] || set -- manifests rules
for phase in "$@"; do
  case $phase in manifests|rules) "$phase" ;; *) echo "usage: $0 [manifests] [rules]" >&2; exit 2 ;; esac
done
