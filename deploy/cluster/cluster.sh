#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, for the chart's tests and for trying the platform as ops will:
#   cluster.sh up       build what is missing (cached), start containerd, etcd, the control plane, kubelet,
#                       kube-proxy and kube-router, then the add-ons (CoreDNS, metrics-server, Traefik)
#   cluster.sh node     the same without the add-ons; `cluster.sh addons` adds them (make test builds the
#                       platform's images in between, while the add-ons may still be compiling)
#   cluster.sh down     stop everything and undo every change to the host (network, mounts, sysctls);
#                       etcd's data, the images and the volumes' data stay, so `up` brings the same cluster back
#   cluster.sh status   one line per component
#   cluster.sh env      prints KUBECONFIG=... for `eval`
#   cluster.sh wipe     down, then delete the cluster's state (a new cluster on the next `up`)
#
# Network: pods 198.18.0.0/24, Services 198.19.0.0/16, node 198.18.255.1 on the port-less bridge k8s0;
# a guard chain drops anything from those ranges towards the machine's uplink, so traffic stays here.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
source "$HERE/common.sh"
PKI=$RUN/pki
LOGS=$RUN/logs
KUBECONFIG_ADMIN=$RUN/admin.kubeconfig
NODE_NAME=portal-node
POD_CIDR=198.18.0.0/24
CLUSTER_CIDR=198.18.0.0/17
SERVICE_CIDR=198.19.0.0/16
API_SERVICE_IP=198.19.0.1
DNS_SERVICE_IP=198.19.0.10
UPLINK=${CLUSTER_UPLINK:-$(ip route show default | awk '{print $5; exit}')}
K=$KUBERNETES_VERSION
export PATH=$BIN/links:$PATH

kubectl() { "$BIN/kubectl-$K" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

# ---------------------------------------------------------------------------------------------- host setup

install_packages() {
  local missing=() p
  # podman: only its Docker-compatible API, which skaffold's local builder asks for (tests/cluster/test_skaffold.py)
  for p in containerd runc buildah podman mmdebstrap ipset conntrack iptables openssl; do
    command -v "$p" >/dev/null || [ -x "/usr/sbin/$p" ] || missing+=("$p")
  done
  [ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

links() {  # versioned binaries under their plain names, for the tools that look them up by name
  mkdir -p "$BIN/links"
  local n
  for n in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
    ln -sfn "$BIN/$n-$K" "$BIN/links/$n"
  done
  ln -sfn "$PORTAL_CACHE/bin/helm-$HELM_VERSION" "$BIN/links/helm"
}

net_up() {
  ip link show k8s0 >/dev/null 2>&1 || ip link add k8s0 type bridge
  ip addr show dev k8s0 | grep "$NODE_IP/32" >/dev/null || ip addr add "$NODE_IP/32" dev k8s0
  ip link set k8s0 up
  ip route replace "$SERVICE_CIDR" dev k8s0 src "$NODE_IP"
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
  # The guard: nothing from the pod or Service ranges (or the pods' bridge) leaves through the uplink.
  iptables -N PORTAL-GUARD 2>/dev/null || iptables -F PORTAL-GUARD
  iptables -A PORTAL-GUARD -s 198.18.0.0/15 -o "$UPLINK" -j DROP
  iptables -A PORTAL-GUARD -i cni0 -o "$UPLINK" -j DROP
  local chain
  for chain in FORWARD OUTPUT; do
    iptables -C "$chain" -j PORTAL-GUARD 2>/dev/null || iptables -I "$chain" 1 -j PORTAL-GUARD
  done
}

net_down() {
  local chain t c
  for chain in FORWARD OUTPUT; do iptables -D "$chain" -j PORTAL-GUARD 2>/dev/null || true; done
  iptables -F PORTAL-GUARD 2>/dev/null || true; iptables -X PORTAL-GUARD 2>/dev/null || true
  # Chains that kube-proxy, kubelet, kube-router and the CNI plugins created.
  for t in filter nat mangle; do
    for c in $(iptables -t "$t" -S | awk '/^-N (KUBE-|CNI-|KUBE-ROUTER)/{print $2}'); do
      { iptables -t "$t" -S | grep -- "-j $c\b" || true; } | sed 's/^-A/-D/' | while read -r rule; do
        eval "iptables -t $t $rule" 2>/dev/null || true
      done
    done
    for c in $(iptables -t "$t" -S | awk '/^-N (KUBE-|CNI-|KUBE-ROUTER)/{print $2}'); do iptables -t "$t" -F "$c" 2>/dev/null || true; done
    for c in $(iptables -t "$t" -S | awk '/^-N (KUBE-|CNI-|KUBE-ROUTER)/{print $2}'); do iptables -t "$t" -X "$c" 2>/dev/null || true; done
    for c in $(ip6tables -t "$t" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/{print $2}'); do
      { ip6tables -t "$t" -S | grep -- "-j $c\b" || true; } | sed 's/^-A/-D/' | while read -r rule; do eval "ip6tables -t $t $rule" 2>/dev/null || true; done
    done
    for c in $(ip6tables -t "$t" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/{print $2}'); do ip6tables -t "$t" -F "$c" 2>/dev/null || true; ip6tables -t "$t" -X "$c" 2>/dev/null || true; done
  done
  for s in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-|kube-router)' || true); do ipset destroy "$s" 2>/dev/null || true; done
  ip link del cni0 2>/dev/null || true
  ip link del k8s0 2>/dev/null || true
  ip link del kube-bridge 2>/dev/null || true
  rm -rf /var/lib/cni/networks/portal 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------- PKI

cert() {  # cert NAME CN [O] [SANS] [CA]: key + certificate signed by CA (default ca)
  local name=$1 cn=$2 o=${3:-} sans=${4:-} ca=${5:-ca}
  [ -f "$PKI/$name.crt" ] && return 0
  local subj="/CN=$cn"; [ -n "$o" ] && subj="/O=$o$subj"
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  local ext="basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth"
  [ -n "$sans" ] && ext+="\nsubjectAltName=$sans"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile <(printf "$ext") -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr"
}

ca() {  # ca NAME CN
  [ -f "$PKI/$1.crt" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/$1.key" -out "$PKI/$1.crt" -days 3650 \
    -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

kubeconfig() {  # kubeconfig NAME CERT: a kubeconfig for that client certificate
  local file=$RUN/$1.kubeconfig
  [ -f "$file" ] && return 0
  cat > "$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: portal
  cluster: {certificate-authority: $PKI/ca.crt, server: "https://$NODE_IP:6443"}
users:
- name: $1
  user: {client-certificate: $PKI/$2.crt, client-key: $PKI/$2.key}
contexts:
- name: portal
  context: {cluster: portal, user: $1}
current-context: portal
EOF
}

pki() {
  mkdir -p "$PKI" && chmod 700 "$PKI"
  ca ca portal-cluster-ca
  ca front-proxy-ca portal-front-proxy-ca
  cert apiserver kube-apiserver "" "IP:$NODE_IP,IP:$API_SERVICE_IP,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert front-proxy-client front-proxy-client "" "" front-proxy-ca
  cert admin portal-admin system:masters
  cert controller-manager system:kube-controller-manager
  cert scheduler system:kube-scheduler
  cert kube-proxy system:kube-proxy
  cert kube-router system:kube-router
  cert kubelet "system:node:$NODE_NAME" system:nodes
  cert kubelet-serving "$NODE_NAME" "" "IP:$NODE_IP,DNS:$NODE_NAME"
  [ -f "$PKI/sa.key" ] || { openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null; openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null; }
  kubeconfig admin admin
  kubeconfig controller-manager controller-manager
  kubeconfig scheduler scheduler
  kubeconfig kube-proxy kube-proxy
  kubeconfig kube-router kube-router
  kubeconfig kubelet kubelet
}

# ---------------------------------------------------------------------------------------------- processes

pidfile() { echo "$RUN/pids/$1.pid"; }
running() { local pf; pf=$(pidfile "$1"); [ -f "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null; }

launch() {  # launch NAME CMD...
  running "$1" && return 0
  mkdir -p "$RUN/pids" "$LOGS"
  local name=$1; shift
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$(pidfile "$name")"
}

wait_for() {  # wait_for LABEL SECONDS PROCESS TEST...: polls TEST, failing early if PROCESS died
  local label=$1 limit=$2 proc=$3; shift 3
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$proc" ] && ! running "$proc"; then tail -n 30 "$LOGS/$proc.log" >&2; die "$proc exited ($LOGS/$proc.log)"; fi
    [ $SECONDS -lt $deadline ] || { [ -n "$proc" ] && tail -n 30 "$LOGS/$proc.log" >&2; die "$label not ready after ${limit}s"; }
    sleep 0.5
  done
}

stop() {  # stop NAME [SECONDS]
  local pf pid; pf=$(pidfile "$1")
  running "$1" || { rm -f "$pf"; return 0; }
  pid=$(cat "$pf")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((${2:-15} * 5))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pf"
}

# Writes a config file from its template only when the result differs: kube-proxy exits when its file changes.
render() {  # render TEMPLATE DEST SED_ARGS...
  local src=$1 dst=$2; shift 2
  sed "$@" "$src" > "$dst.new"
  if cmp -s "$dst.new" "$dst"; then rm -f "$dst.new"; else mv "$dst.new" "$dst"; fi
}

https_ok() { curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$1"; }

# ---------------------------------------------------------------------------------------------- components

up_containerd() {
  mkdir -p "$RUN/containerd" /etc/cni/net.d
  render "$HERE/config/containerd.toml" "$RUN/containerd/config.toml" -e "s|@RUN@|$RUN|g"
  render "$HERE/config/cni.conflist" /etc/cni/net.d/10-portal.conflist -e "s|@POD_CIDR@|$POD_CIDR|g"
  launch containerd containerd --config "$RUN/containerd/config.toml"
  wait_for containerd 30 containerd ctr --address /run/containerd/containerd.sock version
}

up_etcd() {
  mkdir -p "$RUN/etcd" && chmod 700 "$RUN/etcd"
  # Plain HTTP on loopback only: the apiserver is its only client, on the same machine.
  launch etcd "$BIN/etcd-$ETCD_VERSION" --name "$NODE_NAME" --data-dir "$RUN/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster "$NODE_NAME=http://127.0.0.1:2380" --listen-metrics-urls http://127.0.0.1:2381 \
    --quota-backend-bytes 2147483648 --log-level warn
  wait_for etcd 60 etcd curl -sf http://127.0.0.1:2381/health
}

up_apiserver() {
  launch kube-apiserver "$BIN/kube-apiserver-$K" --advertise-address "$NODE_IP" --bind-address "$NODE_IP" \
    --secure-port 6443 --etcd-servers http://127.0.0.1:2379 --allow-privileged=true \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --client-ca-file "$PKI/ca.crt" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-cluster-ip-range "$SERVICE_CIDR" --service-node-port-range 30000-32767 \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- --enable-aggregator-routing=true \
    --proxy-client-cert-file "$PKI/front-proxy-client.crt" --proxy-client-key-file "$PKI/front-proxy-client.key" \
    --profiling=false --v=0
  wait_for kube-apiserver 120 kube-apiserver https_ok "https://$NODE_IP:6443/readyz"
}

up_controllers() {
  launch kube-controller-manager "$BIN/kube-controller-manager-$K" --kubeconfig "$RUN/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$RUN/controller-manager.kubeconfig" --authorization-kubeconfig "$RUN/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --root-ca-file "$PKI/ca.crt" --service-account-private-key-file "$PKI/sa.key" --use-service-account-credentials=true \
    --allocate-node-cidrs=true --cluster-cidr "$CLUSTER_CIDR" --node-cidr-mask-size 24 \
    --service-cluster-ip-range "$SERVICE_CIDR" --profiling=false \
    --horizontal-pod-autoscaler-sync-period 5s
  launch kube-scheduler "$BIN/kube-scheduler-$K" --kubeconfig "$RUN/scheduler.kubeconfig" \
    --authentication-kubeconfig "$RUN/scheduler.kubeconfig" --authorization-kubeconfig "$RUN/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --profiling=false
}

up_node() {
  mkdir -p "$RUN/kubelet" "$LOGS/pods"
  render "$HERE/config/kubelet.yaml" "$RUN/kubelet/config.yaml" \
    -e "s|@PKI@|$PKI|g" -e "s|@NODE_IP@|$NODE_IP|g" -e "s|@DNS@|$DNS_SERVICE_IP|g" -e "s|@LOGS@|$LOGS/pods|g"
  # kubelet tunes these sysctls itself; `down` puts back what the machine had.
  [ -f "$RUN/sysctl.saved" ] || sysctl vm.overcommit_memory kernel.panic kernel.panic_on_oops > "$RUN/sysctl.saved"
  launch kubelet "$BIN/kubelet-$K" --config "$RUN/kubelet/config.yaml" --kubeconfig "$RUN/kubelet.kubeconfig" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v=0
  render "$HERE/config/kube-proxy.yaml" "$RUN/kube-proxy.yaml" \
    -e "s|@RUN@|$RUN|g" -e "s|@NODE_IP@|$NODE_IP|g" -e "s|@CLUSTER_CIDR@|$CLUSTER_CIDR|g"
  launch kube-proxy "$BIN/kube-proxy-$K" --config "$RUN/kube-proxy.yaml" --hostname-override "$NODE_NAME"
  # NetworkPolicy: kube-router's firewall only (routing and service proxy stay with the bridge and kube-proxy).
  # It needs the Node object: on a fresh etcd (the first cluster-up of a machine) the kubelet registers it a
  # moment after starting, and kube-router launched before that exits ("failed to identify the node").
  wait_for "node $NODE_NAME registered" 120 kubelet node_registered
  kubectl apply -f "$HERE/config/kube-router-rbac.yaml" >/dev/null
  launch kube-router "$BIN/kube-router-$KUBE_ROUTER_VERSION" --kubeconfig "$RUN/kube-router.kubeconfig" \
    --hostname-override "$NODE_NAME" --run-firewall=true --run-router=false --run-service-proxy=false \
    --run-loadbalancer=false --metrics-port 0 --health-port 20244
  wait_for "node $NODE_NAME" 120 kubelet node_ready
  wait_for "kube-router (NetworkPolicy)" 120 kube-router curl -sf http://127.0.0.1:20244/healthz
}

node_registered() { kubectl get node "$NODE_NAME" >/dev/null 2>&1; }
node_ready() { kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep True >/dev/null; }

up_addons() {
  "$HERE/images.sh" addons
  local f d
  for f in "$HERE"/config/addons/*.yaml; do
    sed -e "s|@DNS@|$DNS_SERVICE_IP|g" -e "s|@COREDNS_VERSION@|$COREDNS_VERSION|g" \
        -e "s|@METRICS_SERVER_VERSION@|$METRICS_SERVER_VERSION|g" -e "s|@TRAEFIK_VERSION@|$TRAEFIK_VERSION|g" \
        "$f" | kubectl apply --server-side --force-conflicts -f - >/dev/null
  done
  for d in kube-system/coredns kube-system/metrics-server ingress/traefik; do
    kubectl -n "${d%/*}" rollout status "deployment/${d#*/}" --timeout 180s >/dev/null ||
      die "add-on $d not ready: kubectl -n ${d%/*} describe pods"
  done
  wait_for "metrics API" 120 "" kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes
}

# ---------------------------------------------------------------------------------------------- commands

cmd_node() {
  local t0=$SECONDS
  [ "$(id -u)" -eq 0 ] || die "run as root (containerd, iptables, bridges)"
  install_packages
  [ "${CLUSTER_SKIP_BUILD:-0}" = 1 ] || "$HERE/build.sh" pause kubernetes etcd kube-router
  links
  net_up; pki
  say "starting containerd, etcd and the control plane..."
  up_containerd
  "$HERE/images.sh" pause
  up_etcd; up_apiserver; up_controllers
  say "control plane ready in $((SECONDS - t0))s; starting the node..."
  up_node
  say "node Ready in $((SECONDS - t0))s"
}

cmd_addons() {
  local t0=$SECONDS
  [ "${CLUSTER_SKIP_BUILD:-0}" = 1 ] || "$HERE/build.sh" coredns metrics-server traefik
  up_addons
  say "add-ons ready in $((SECONDS - t0))s: export KUBECONFIG=$KUBECONFIG_ADMIN"
}

cmd_up() {
  local t0=$SECONDS
  cmd_node
  cmd_addons
  say "cluster ready in $((SECONDS - t0))s"
}

cmd_down() {
  local t0=$SECONDS
  stop kube-router; stop kube-proxy
  # Pods first (kubelet would restart them), then their sandboxes and network namespaces.
  stop kubelet
  if running containerd; then
    local c
    for c in $(running_tasks); do ctr -n k8s.io tasks kill -s KILL "$c" >/dev/null 2>&1 || true; done
    for c in $(running_tasks); do ctr -n k8s.io tasks delete -f "$c" >/dev/null 2>&1 || true; done
  fi
  stop kube-scheduler; stop kube-controller-manager; stop kube-apiserver; stop etcd; stop containerd 20
  # Mounts and namespaces the kubelet and the CNI left behind.
  { grep -oE ' (/var/lib/kubelet|/run/containerd|/run/netns|/var/lib/containerd|'"$RUN"')[^ ]*' /proc/mounts || true; } |
    sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  for ns in $(ip netns list 2>/dev/null | awk '/^cni-/{print $1}'); do ip netns del "$ns" 2>/dev/null || true; done
  net_down
  if [ -f "$RUN/sysctl.saved" ]; then sysctl -q -p "$RUN/sysctl.saved" >/dev/null 2>&1 || true; rm -f "$RUN/sysctl.saved"; fi
  say "cluster down in $((SECONDS - t0))s (data kept in $RUN)"
}

running_tasks() { ctr -n k8s.io tasks ls -q 2>/dev/null || true; }

cmd_status() {
  local n
  for n in containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kube-router; do
    if running "$n"; then printf '  %-24s running (pid %s)\n' "$n" "$(cat "$(pidfile "$n")")"; else printf '  %-24s stopped\n' "$n"; fi
  done
  if running kube-apiserver; then kubectl get nodes -o wide 2>/dev/null; kubectl get pods -A 2>/dev/null; fi
}

case ${1:-} in
  up) cmd_up ;;
  node) cmd_node ;;
  addons) cmd_addons ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) echo "export KUBECONFIG=$KUBECONFIG_ADMIN" ;;
  wipe) cmd_down; rm -rf "$RUN" /var/lib/kubelet/pods; say "cluster state removed" ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
