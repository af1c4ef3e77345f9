#!/usr/bin/env bash
# The platform on the test cluster, the way an ops team installs it:
#   release.sh deps                       Kafka + FerretDB (charts/portal-dev-deps) in namespace portal-deps
#   release.sh install [NS] [RELEASE] [helm args...]
#                                         images, Secrets, then `helm upgrade --install` of charts/portal
#                                         with deploy/cluster/values-portal.yaml (default portal/portal)
#   release.sh secrets NS RELEASE         the Secrets the chart references (made once, never overwritten)
#   release.sh test [NS] [RELEASE]        `helm test`: signs in and reads Mon compte (Service and Ingress)
#   release.sh monitoring [NS] [RELEASE]  Prometheus (charts/portal-dev-monitoring) in namespace monitoring,
#                                         scraping the release and evaluating its chart's alert rules
#   release.sh uninstall [NS] [RELEASE]
#   release.sh reset                      every release and namespace of the platform away, Kafka's and FerretDB's
#                                         data deleted: the tests start from an empty platform every run
# Needs a running cluster (`make cluster-up`). Prints the Ingress URL.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SAY_PREFIX=release
# shellcheck source=common.sh
source "$HERE/common.sh"
export KUBECONFIG=$RUN/admin.kubeconfig
KUBECTL=$BIN/kubectl-$KUBERNETES_VERSION
HELM=$PORTAL_CACHE/bin/helm-$HELM_VERSION
DEPS_NS=portal-deps
VOLUMES=$RUN/volumes
KAFKA_SECURITY=$RUN/kafka-security  # the dev Kafka's CA, broker keystore and SCRAM passwords (kafka_security.py)
GRPC_PKI=$RUN/grpc  # the gRPC CA and certificates (deploy/local/pki.py): what cert-manager makes in a cluster
PYTHON=${PYTHON:-python3}

k() { "$KUBECTL" "$@"; }

deps() {
  "$HERE/images.sh" deps
  local ferret_tag d
  ferret_tag=$(basename "$(latest "$PORTAL_CACHE"/bin/ferretdb-*)"); ferret_tag=${ferret_tag#ferretdb-}
  # hostPath volumes: made here, owned by the pods' user (a hostPath ignores fsGroup).
  for d in kafka ferretdb/sqlite ferretdb/state; do
    mkdir -p "$VOLUMES/$DEPS_NS/deps/$d"
  done
  chown -R 10001:10001 "$VOLUMES/$DEPS_NS"
  kafka_security_secret
  unstick "$DEPS_NS" deps
  say "installing Kafka and FerretDB (charts/portal-dev-deps) in $DEPS_NS..."
  "$HELM" upgrade --install deps "$ROOT/charts/portal-dev-deps" --namespace "$DEPS_NS" --create-namespace \
    --set storage.hostPathRoot="$VOLUMES" --set ferretdb.image="portal-ferretdb:$ferret_tag" \
    --set kafka.image="portal-kafka:$("$HERE/images.sh" kafka-tag)" \
    --set kafka.external.host="$NODE_IP" --set kafka.external.nodePort=30092 --set kafka.securitySecret=kafka-security \
    --wait --timeout 5m >/dev/null
  say "deps ready: kafka.$DEPS_NS.svc.cluster.local:9092 (node: $NODE_IP:30092), ferretdb.$DEPS_NS.svc.cluster.local:27017"
}

secret_missing() { ! k -n "$1" get secret "$2" >/dev/null 2>&1; }

# A run killed during `helm upgrade` leaves the release pending, and helm then refuses any other operation:
# back to the last deployed revision (or away, if it never was deployed).
unstick() {
  local ns=$1 release=$2 status
  status=$("$HELM" status "$release" --namespace "$ns" -o json 2>/dev/null | "$PYTHON" -c \
    'import json,sys; print(json.load(sys.stdin)["info"]["status"])' 2>/dev/null) || return 0
  case $status in
    pending-install) say "$release was left pending-install: uninstalling it"; "$HELM" uninstall "$release" --namespace "$ns" --wait >/dev/null ;;
    pending-*) say "$release was left $status: rolling back"; "$HELM" rollback "$release" --namespace "$ns" >/dev/null ;;  # no --wait: the upgrade that follows waits
  esac
}

# The broker's keystore and the admin's password, for names in the cluster and the node's address; applied
# on every run, so that a new CA (a SAN changed) reaches the broker.
kafka_security_secret() {
  (cd "$ROOT" && "$PYTHON" -m deploy.local.kafka_security tls "$KAFKA_SECURITY" \
    "DNS:kafka.$DEPS_NS.svc.cluster.local" "IP:$NODE_IP" IP:127.0.0.1)  # 127.0.0.1: the broker to its controller
  k create namespace "$DEPS_NS" --dry-run=client -o yaml | k apply -f - >/dev/null
  k -n "$DEPS_NS" create secret generic kafka-security --from-file="$KAFKA_SECURITY/tls/broker.p12" \
    --from-file="$KAFKA_SECURITY/tls/broker.p12.password" --from-file="$KAFKA_SECURITY/tls/ca.pem" \
    --from-file="$KAFKA_SECURITY/secrets/admin.password" --dry-run=client -o yaml | k apply -f - >/dev/null
}

# What cert-manager would make from the chart's Certificates (no cert-manager here): each service's gRPC
# certificate on the run's CA, as Secret <release>-<service>-grpc-tls; re-applied, so a renewal reaches the pods.
grpc_certificates() {
  local ns=$1 release=$2 s
  (cd "$ROOT" && "$PYTHON" -m deploy.local.pki grpc "$GRPC_PKI" identity billing-statement document-store notification \
    invoicing back-office)
  for s in identity billing-statement document-store notification; do
    k -n "$ns" create secret generic "$release-$s-grpc-tls" --from-file=tls.crt="$GRPC_PKI/$s.pem" \
      --from-file=tls.key="$GRPC_PKI/$s.key" --from-file=ca.crt="$GRPC_PKI/ca.pem" --dry-run=client -o yaml |
      k apply -f - >/dev/null
  done
}

# A release's Kafka principals and ACLs on its topic base, and the Secrets the chart mounts: each service's
# password (kafka-<service>, key password, as a Strimzi KafkaUser makes it) and the CA (portal-kafka-ca).
kafka_credentials() {
  local ns=$1 base=$2 dlq=$3 user
  (cd "$ROOT" && "$PYTHON" -m deploy.local.kafka_security grant "$KAFKA_SECURITY" "$NODE_IP:30092" "$base" "$dlq")
  for user in identity billing-statement document-store notification portal-topics; do
    k -n "$ns" create secret generic "kafka-$user" --from-file=password="$KAFKA_SECURITY/secrets/$user.password" \
      --dry-run=client -o yaml | k apply -f - >/dev/null
  done
  k -n "$ns" create secret generic portal-kafka-ca --from-file=ca.crt="$KAFKA_SECURITY/tls/ca.pem" \
    --dry-run=client -o yaml | k apply -f - >/dev/null
}

secrets() {  # secrets NS RELEASE: what values.yaml names, created once and never overwritten
  local ns=$1 release=$2 s uri dir
  k create namespace "$ns" --dry-run=client -o yaml | k apply -f - >/dev/null
  for s in identity billing-statement document-store notification web; do
    # One FerretDB; the databases are per release (mongoDatabasePrefix), so two releases never share data.
    uri="mongodb://ferretdb.$DEPS_NS.svc.cluster.local:27017/"
    secret_missing "$ns" "portal-$s-mongo" && k -n "$ns" create secret generic "portal-$s-mongo" --from-literal=uri="$uri" >/dev/null
  done
  if secret_missing "$ns" portal-identity-signing-keys; then
    dir=$(mktemp -d); openssl genrsa -out "$dir/$(date +%Y%m%d)-1.pem" 2048 2>/dev/null
    k -n "$ns" create secret generic portal-identity-signing-keys --from-file="$dir" >/dev/null; rm -rf "$dir"
  fi
  secret_missing "$ns" portal-notification-secrets && k -n "$ns" create secret generic portal-notification-secrets \
    --from-literal=unsubscribe-secret="$(openssl rand -hex 32)" --from-literal=smtp-password= >/dev/null
  secret_missing "$ns" portal-helm-test-account && k -n "$ns" create secret generic portal-helm-test-account \
    --from-literal=login="helm-test@$release.portal.test" --from-literal=password="$(openssl rand -hex 16)" >/dev/null
  true
}

install() {
  local ns=${1:-portal} release=${2:-portal} tag
  shift 2 || shift $#
  tag=$("$HERE/images.sh" services)
  secrets "$ns" "$release"
  # The first release keeps the default topic names; another one gets its own topics (one broker serves both).
  local topics=() base=account-events
  [ "$ns/$release" = portal/portal ] || base=account-events-$ns-$release
  [ "$ns/$release" = portal/portal ] ||
    topics=(--set kafka.eventsTopic="$base" --set kafka.dlqTopic="$base.dlq")
  kafka_credentials "$ns" "$base" "$base.dlq"
  grpc_certificates "$ns" "$release"
  unstick "$ns" "$release"
  say "helm upgrade --install $release (images $tag) in $ns..."
  local t=$SECONDS
  "$HELM" upgrade --install "$release" "$ROOT/charts/portal" --namespace "$ns" \
    -f "$HERE/values-portal.yaml" --set global.imageTag="$tag" \
    "${topics[@]}" \
    --set mongoDatabasePrefix="${ns//-/_}_${release//-/_}_" \
    --wait --timeout 10m "$@" >/dev/null
  say "release $release ready in $((SECONDS - t))s: http://$NODE_IP:30080/ (Ingress, class traefik)"
  test_account "$ns" "$release"
}

# The account `helm test` signs in with: an agent of a structure of its own, activated once.
test_account() {
  local ns=$1 release=$2 login password url
  login=$(k -n "$ns" get secret portal-helm-test-account -o jsonpath='{.data.login}' | base64 -d)
  password=$(k -n "$ns" get secret portal-helm-test-account -o jsonpath='{.data.password}' | base64 -d)
  url=http://$(k -n "$ns" get service "$release-identity" -o jsonpath='{.spec.clusterIP}'):8081
  body() { python3 -c 'import json,sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' "$@"; }
  if curl -sf -o /dev/null -H 'Content-Type: application/json' -d "$(body login "$login" password "$password")" "$url/v1/auth/login"; then
    return 0
  fi
  # Not signed in: a new login (a half-made one from an interrupted run cannot be activated again).
  login="helm-test-$(openssl rand -hex 4)@$release.portal.test"
  k -n "$ns" delete secret portal-helm-test-account >/dev/null
  k -n "$ns" create secret generic portal-helm-test-account --from-literal=login="$login" \
    --from-literal=password="$password" >/dev/null
  printf '%s\n' "$password" | k -n "$ns" exec -i "deploy/$release-identity" -- portal-identity create-agent \
    --structure helm-test --login "$login" --display-name "Test de déploiement" --password-stdin >/dev/null ||
    die "could not create the helm test account"
  say "helm test account $login created"
}

# What kube-prometheus-stack would do with the chart's ServiceMonitor and PrometheusRule (no operator here):
# the rules are rendered from the release's own values, checked by promtool, and loaded into a Prometheus.
monitoring() {
  local ns=${1:-portal} release=${2:-portal} dir
  dir=$(mktemp -d)
  "$HELM" get values "$release" --namespace "$ns" -o yaml > "$dir/values.yaml"
  "$ROOT/deploy/k8s/alert-rules.sh" "$HELM" "${PYTHON:-python3}" "$release" "$ns" -f "$dir/values.yaml" > "$dir/rules.yml"
  # Cached, or being compiled in the background by make test (after what cluster.sh up needs): waited for.
  "$HERE/build.sh" prometheus promtool
  "$HERE/images.sh" prometheus
  "$BIN/promtool-$PROMETHEUS_BUILD" check rules "$dir/rules.yml" >/dev/null
  say "installing Prometheus (charts/portal-dev-monitoring) in monitoring, scraping $ns..."
  "$HELM" upgrade --install monitoring "$ROOT/charts/portal-dev-monitoring" --namespace monitoring --create-namespace \
    --set image="portal-prometheus:$PROMETHEUS_BUILD" --set "watchNamespaces={$ns}" \
    --set-file rules="$dir/rules.yml" --wait --timeout 3m >/dev/null
  rm -rf "$dir"
  say "Prometheus ready: http://$(k -n monitoring get service prometheus -o jsonpath='{.spec.clusterIP}'):9090/"
}

# The test cluster keeps its state between runs (cluster-down keeps etcd and the volumes), and its databases
# grew with every run: by the 200th release the feed read scanned 170 MB (FerretDB's SQLite backend scans for
# anything but _id), took 3-6 s, and straddled rollouts. Tests start from nothing instead; images stay cached.
reset() {
  local ns release
  for ns in $("$KUBECTL" get namespaces -o name | sed 's|namespace/||' | grep -v -e '^kube-' -e '^default$' -e '^ingress$'); do
    for release in $("$HELM" list --namespace "$ns" --all --short); do
      "$HELM" uninstall "$release" --namespace "$ns" --wait --timeout 3m >/dev/null || true
    done
    [[ $ns == monitoring ]] || k delete namespace "$ns" --wait --timeout 3m >/dev/null
  done
  rm -rf "$VOLUMES"
  say "platform reset: no release, no namespace, empty volumes"
}

case ${1:-} in
  deps) deps ;;
  reset) reset ;;
  install) shift; install "$@" ;;
  test) "$HELM" test "${3:-portal}" --namespace "${2:-portal}" --timeout 3m --logs ;;
  secrets) secrets "$2" "$3" ;;
  monitoring) shift; monitoring "$@" ;;
  uninstall) "$HELM" uninstall "${3:-portal}" --namespace "${2:-portal}" --wait ;;
  *) sed -n '2,13p' "$0"; exit 2 ;;
esac
