#!/usr/bin/env bash
# Builds the test cluster's programs through the Go module proxy, once, into the cache:
#   build.sh [all|cluster|helm|kubernetes|etcd|coredns|kube-router|metrics-server|traefik|promtool|prometheus|skaffold|pause]...
# `cluster`: what `cluster.sh up` runs; `all` (the default): helm, that, then Prometheus and promtool (release.sh
# monitoring and check-charts.sh rules) and skaffold (its test).
# Each binary lands in $CLUSTER_CACHE/bin/<name>-<version>; an existing one is never rebuilt. A part being built by
# another build.sh (make test compiles in the background) is waited for, not compiled twice: one lock per part.
# Go's module and build caches live in $CLUSTER_CACHE/go so a new machine rebuilds them from nothing.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SAY_PREFIX=cluster-build
# shellcheck source=common.sh
source "$HERE/common.sh"
WORK=$CLUSTER_CACHE/build
export GOMODCACHE=$CLUSTER_CACHE/go/mod GOCACHE=$CLUSTER_CACHE/go/cache
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false -trimpath"
mkdir -p "$BIN" "$WORK/locks"

have() { [ -x "$BIN/$1" ]; }

go_build() {  # go_build BINARY PACKAGE (in the current directory): whole or absent, a waiting reader may run it
  go build -ldflags "-s -w" -o "$BIN/.$1.tmp" "$2" && mv "$BIN/.$1.tmp" "$BIN/$1"
}

# A writable copy of a module's source: replace directives and generated files then work as upstream's.
module_copy() {  # module_copy MODULE VERSION -> prints the copy's directory
  local dir dst=$WORK/$(basename "$1")-$2
  if [ ! -d "$dst" ]; then
    dir=$(go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -n "$dir" ] || die "go mod download $1@$2 gave no directory"
    cp -r "$dir" "$dst.tmp" && chmod -R u+w "$dst.tmp" && mv "$dst.tmp" "$dst"
  fi
  echo "$dst"
}

timed() {  # timed LABEL CMD...: prints how long a slow step took
  local t=$SECONDS; "${@:2}"; say "$1 built in $((SECONDS - t))s"
}

build_kubernetes() {
  local v=$KUBERNETES_VERSION names=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
  local missing=0 n; for n in "${names[@]}"; do have "$n-$v" || missing=1; done
  [ $missing = 1 ] || return 0
  say "kubernetes $v: compiling six programs (about 5 minutes cold on 2 cores)..."
  # k8s.io/kubernetes replaces its staging modules by ./staging paths the module zip lacks:
  # a wrapper module points each of them at its published v0.x release instead.
  local src wrap=$WORK/kubernetes-wrapper-$v staging=v0.${v#v1.}
  src=$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  rm -rf "$wrap" && mkdir -p "$wrap"
  {
    echo "module portal.local/kubernetes-wrapper"
    echo "go 1.24"
    echo "require k8s.io/kubernetes $v"
    sed -n 's|^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*$|replace \1 => \1 '"$staging"'|p' "$src/go.mod"
  } > "$wrap/go.mod"
  local minor flags="" p; minor=$(echo "$v" | cut -d. -f2)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  local out=$WORK/kubernetes-out-$v; rm -rf "$out" && mkdir -p "$out"
  (cd "$wrap" && go build -ldflags "-s -w $flags" -o "$out/" \
     $(for n in "${names[@]}"; do echo "k8s.io/kubernetes/cmd/$n"; done))
  for n in "${names[@]}"; do mv "$out/$n" "$BIN/$n-$v"; done
}

build_etcd() {
  have "etcd-$ETCD_VERSION" && return 0
  say "etcd $ETCD_VERSION..."
  local wrap=$WORK/etcd-wrapper-$ETCD_VERSION
  rm -rf "$wrap" && mkdir -p "$wrap"
  printf 'module portal.local/etcd-wrapper\ngo 1.24\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > "$wrap/go.mod"
  (cd "$wrap" && go_build "etcd-$ETCD_VERSION" go.etcd.io/etcd/server/v3)
}

build_coredns() {
  have "coredns-$COREDNS_VERSION" && return 0
  say "coredns $COREDNS_VERSION (only the plugins the cluster's Corefile uses)..."
  local src; src=$(module_copy github.com/coredns/coredns "$COREDNS_VERSION")
  mkdir -p "$src/cmd/portal-coredns"
  cat > "$src/cmd/portal-coredns/main.go" <<'GO'
package main

import (
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"

	"github.com/coredns/coredns/coremain"
)

func main() { coremain.Run() }
GO
  (cd "$src" && go_build "coredns-$COREDNS_VERSION" ./cmd/portal-coredns)
}

build_from_module() {  # build_from_module NAME MODULE VERSION PACKAGE_DIR
  have "$1-$3" && return 0
  say "$1 $3..."
  local src; src=$(module_copy "$2" "$3")
  (cd "$src" && go_build "$1-$3" "$4")
}

# Prometheus and promtool with only the Kubernetes service discovery, the one the test Prometheus uses
# (charts/portal-dev-monitoring): upstream's way to a smaller build (README, "plugins.yml"). The 23 others
# (cloud SDKs) were half of the 95 MB of Go source the two programs compiled. Alone from an empty build cache:
# 211 s instead of 390 for Prometheus, a 71 MB binary instead of 135.
build_prometheus() {  # build_prometheus NAME PACKAGE_DIR
  have "$1-$PROMETHEUS_BUILD" && return 0
  say "$1 $PROMETHEUS_VERSION (Kubernetes service discovery only)..."
  local src; src=$(module_copy github.com/prometheus/prometheus "$PROMETHEUS_VERSION")
  echo "- github.com/prometheus/prometheus/discovery/kubernetes" > "$src/plugins.yml"
  (cd "$src" && go generate -tags plugins ./plugins && go_build "$1-$PROMETHEUS_BUILD" "$2")
}

build_pause() {
  have "pause-1" && return 0
  local dir=$WORK/pause; mkdir -p "$dir"
  cp "$HERE/pause/main.go" "$dir/main.go"
  printf 'module portal.local/pause\ngo 1.24\n' > "$dir/go.mod"
  (cd "$dir" && go_build pause-1 .)
}

build_helm() {  # the path check-charts.sh has always used
  [ -x "$PORTAL_CACHE/bin/helm-$HELM_VERSION" ] && return 0
  say "helm $HELM_VERSION..."
  local tmp; tmp=$(mktemp -d)
  GOBIN=$tmp go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mkdir -p "$PORTAL_CACHE/bin" && mv "$tmp/helm" "$PORTAL_CACHE/bin/helm-$HELM_VERSION" && rm -rf "$tmp"
}

part() {
  case $1 in
    helm) timed "$1" build_helm ;;
    kubernetes) timed "$1" build_kubernetes ;;
    etcd) timed "$1" build_etcd ;;
    coredns) timed "$1" build_coredns ;;
    kube-router) timed "$1" build_from_module kube-router github.com/cloudnativelabs/kube-router/v2 "$KUBE_ROUTER_VERSION" ./cmd/kube-router ;;
    metrics-server) timed "$1" build_from_module metrics-server sigs.k8s.io/metrics-server "$METRICS_SERVER_VERSION" ./cmd/metrics-server ;;
    traefik) timed "$1" build_from_module traefik github.com/traefik/traefik/v3 "$TRAEFIK_VERSION" ./cmd/traefik ;;
    promtool) timed "$1" build_prometheus promtool ./cmd/promtool ;;
    prometheus) timed "$1" build_prometheus prometheus ./cmd/prometheus ;;
    skaffold) timed "$1" build_from_module skaffold github.com/GoogleContainerTools/skaffold/v2 "$SKAFFOLD_VERSION" ./cmd/skaffold ;;
    pause) build_pause ;;
    *) die "unknown part: $1" ;;
  esac
}

build() {  # one part under its lock
  local lock=$WORK/locks/$1
  exec 9>"$lock"
  flock -n 9 || { say "$1: waiting for the build already under way..."; flock 9; }
  part "$1"
  exec 9>&-
}

CLUSTER_PARTS=(pause kubernetes etcd kube-router coredns metrics-server traefik)  # the node's, then the add-ons'
parts=()
for p in "${@:-all}"; do
  case $p in
    cluster) parts+=("${CLUSTER_PARTS[@]}") ;;
    all) parts+=(helm "${CLUSTER_PARTS[@]}" prometheus promtool skaffold) ;;  # in the order make test needs them
    *) parts+=("$p") ;;
  esac
done
for p in "${parts[@]}"; do build "$p"; done
