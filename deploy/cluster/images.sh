#!/usr/bin/env bash
# Container images for the test cluster, built here and imported into containerd (no registry is reachable):
#   images.sh pause              the pod sandbox image
#   images.sh addons             CoreDNS, metrics-server, Traefik (static binaries in scratch images)
#   images.sh prometheus         Prometheus, for release.sh monitoring (the same way)
#   images.sh deps               Kafka (KRaft, Maven Central jars on a Debian JRE) and FerretDB
#   images.sh services [TAG]     the five services from deploy/docker/Dockerfile; prints the tag
#   images.sh tag                the services' tag for this checkout (a hash of what goes into them)
#   images.sh skaffold           skaffold's custom builder: builds and imports $IMAGE
# The services' base image is made from Debian packages with mmdebstrap (python3 + venv), once.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SAY_PREFIX=images
# shellcheck source=common.sh
source "$HERE/common.sh"
IMAGES=$CLUSTER_CACHE/images
SERVICES=(identity billing_statement document_store notification web)
BASE=localhost/portal-base:bookworm-1
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$IMAGES"

ctr_() { ctr --address /run/containerd/containerd.sock -n k8s.io "$@"; }

# grep reads all its input (no -q, no head): under pipefail an early exit SIGPIPEs the writer (exit 141).
imported() { ctr_ images ls -q | grep -x "docker.io/library/$1" >/dev/null; }

import_image() {  # import_image BUILDAH_IMAGE NAME:TAG
  local archive=$IMAGES/${2//[:\/]/_}.tar
  rm -f "$archive"
  buildah push -q "$1" "docker-archive:$archive:$2" >/dev/null
  ctr_ images import "$archive" >/dev/null
  rm -f "$archive"
}

scratch_image() {  # scratch_image NAME:TAG BINARY ENTRYPOINT_PATH
  imported "$1" && return 0
  [ -x "$2" ] || die "$2 is missing: run deploy/cluster/build.sh"
  local c; c=$(buildah from scratch)
  buildah copy -q "$c" "$2" "$3" >/dev/null
  buildah config --entrypoint "[\"$3\"]" --user 65532:65532 "$c"
  buildah commit -q "$c" "localhost/$1" >/dev/null
  buildah rm "$c" >/dev/null
  import_image "localhost/$1" "$1"
  say "imported $1"
}

pinned_base() {  # the base image by digest, as the Dockerfiles require it (never a tag alone)
  local digest; digest=$(buildah images --digests --format '{{.Digest}}' "$BASE" | head -n 1)
  [[ $digest == sha256:* ]] || die "no digest for $BASE"
  echo "${BASE%:*}@$digest"
}

base_image() {
  buildah inspect "$BASE" >/dev/null 2>&1 && return 0
  local t=$SECONDS rootfs=$IMAGES/base-rootfs.tar
  say "making the base image from Debian packages (mmdebstrap, first run only)..."
  # passwd: the Dockerfile creates the service user; python-is-python3: `python` in the Dockerfile.
  mmdebstrap --quiet --variant=minbase \
    --include=python3,python3-venv,python-is-python3,ca-certificates,passwd bookworm "$rootfs" \
    "deb $DEBIAN_MIRROR bookworm main" "deb $DEBIAN_MIRROR bookworm-updates main"
  local c; c=$(buildah from scratch)
  buildah add -q "$c" "$rootfs" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash "$c"
  buildah commit -q "$c" "$BASE" >/dev/null
  buildah rm "$c" >/dev/null; rm -f "$rootfs"
  say "base image made in $((SECONDS - t))s"
}

# pip and uv inside the build reach PyPI through this machine's egress, whose CA the image does not know.
bud() {  # bud ARGS...: buildah bud with the host's CA bundle for pip
  local conf=$IMAGES/pip.conf
  printf '[global]\ncert = /etc/ssl/certs/host-ca-bundle.crt\ndisable-pip-version-check = true\n' > "$conf"
  buildah bud -q --layers --network host \
    --volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/host-ca-bundle.crt:ro \
    --volume "$conf:/etc/pip.conf:ro" --build-arg SSL_CERT_FILE=/etc/ssl/certs/host-ca-bundle.crt "$@"
}

services_tag() {  # a hash of every file that goes into the service images
  (cd "$ROOT" && find pyproject.toml uv.lock deploy/uv-requirements.txt deploy/docker protos services -type f \
       ! -path '*/__pycache__/*' ! -name '*.pyc' ! -path '*.egg-info/*' -print0 |
     sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
}

service_images() {
  local tag=${1:-$(services_tag)} s name t
  base_image
  for s in "${SERVICES[@]}"; do
    name=portal-${s//_/-}
    imported "$name:$tag" && continue
    t=$SECONDS
    say "building $name:$tag..."
    bud -f "$ROOT/deploy/docker/Dockerfile" --build-arg SERVICE="$s" --build-arg PYTHON_IMAGE="$(pinned_base)" \
      -t "localhost/$name:$tag" "$ROOT" >/dev/null
    import_image "localhost/$name:$tag" "$name:$tag"
    say "$name:$tag built and imported in $((SECONDS - t))s"
  done
  echo "$tag"
}

# skaffold's custom builder (skaffold.yaml, profile test-cluster): builds $IMAGE (portal-<service>:<tag>).
skaffold_image() {
  local name=${IMAGE:?skaffold sets IMAGE} service
  name=${name%%:*}; service=${name#portal-}; service=${service//-/_}
  [[ " ${SERVICES[*]} " == *" $service "* ]] || die "$IMAGE is not one of the services' images"
  base_image
  bud -f "$ROOT/deploy/docker/Dockerfile" --build-arg SERVICE="$service" --build-arg PYTHON_IMAGE="$(pinned_base)" \
    -t "localhost/$IMAGE" "$ROOT" >/dev/null
  import_image "localhost/$IMAGE" "$IMAGE"
  # skaffold then names the image by its ID (<name>:<id>, through the Docker API): the node needs that name too.
  local id; id=$(buildah inspect --type image --format '{{.FromImageID}}' "localhost/$IMAGE")
  ctr_ images tag --force "docker.io/library/$IMAGE" "docker.io/library/$name:${id#sha256:}" >/dev/null
  say "$IMAGE built and imported (also as $name:${id#sha256:})"
}

deps_images() {
  base_image
  PYTHON=${PYTHON:-python3} "$ROOT/deploy/local/stack.sh" install >/dev/null
  local kafka_tag ferret ctx; kafka_tag=$(kafka_tag)
  if ! imported "portal-kafka:$kafka_tag"; then
    say "building portal-kafka:$kafka_tag (Debian JRE + Maven Central jars)..."
    ctx=$IMAGES/kafka-context; rm -rf "$ctx" && mkdir -p "$ctx"
    cp -r "$PORTAL_CACHE/kafka-$KAFKA_VERSION/libs" "$ctx/libs"
    cp "$ROOT/deploy/local/kafka/log4j2.properties" "$HERE/images/kafka-entrypoint.sh" "$ctx/"
    bud -f "$HERE/images/kafka.Dockerfile" --build-arg BASE="$(pinned_base)" -t "localhost/portal-kafka:$kafka_tag" "$ctx" >/dev/null
    import_image "localhost/portal-kafka:$kafka_tag" "portal-kafka:$kafka_tag"
    rm -rf "$ctx"
  fi
  ferret=$(latest "$PORTAL_CACHE"/bin/ferretdb-*)
  scratch_image "portal-ferretdb:$(basename "$ferret" | sed 's/^ferretdb-//')" "$ferret" /ferretdb
}

KAFKA_VERSION=$(sed -n 's/^KAFKA_VERSION=//p' "$ROOT/deploy/local/stack.sh")
kafka_tag() {  # the Kafka version and a hash of the files that make the image
  echo "$KAFKA_VERSION-$(cat "$HERE/images/kafka.Dockerfile" "$HERE/images/kafka-entrypoint.sh" \
    "$ROOT/deploy/local/kafka/log4j2.properties" | sha256sum | cut -c1-8)"
}

case ${1:-} in
  pause) scratch_image portal-pause:1 "$BIN/pause-1" /pause ;;
  addons)
    scratch_image "portal-coredns:$COREDNS_VERSION" "$BIN/coredns-$COREDNS_VERSION" /coredns
    scratch_image "portal-metrics-server:$METRICS_SERVER_VERSION" "$BIN/metrics-server-$METRICS_SERVER_VERSION" /metrics-server
    scratch_image "portal-traefik:$TRAEFIK_VERSION" "$BIN/traefik-$TRAEFIK_VERSION" /traefik ;;
  prometheus) scratch_image "portal-prometheus:$PROMETHEUS_BUILD" "$BIN/prometheus-$PROMETHEUS_BUILD" /prometheus ;;

  base) base_image ;;
  deps) deps_images ;;
  services) service_images "${2:-}" ;;
  skaffold) skaffold_image ;;
  tag) services_tag ;;
  kafka-tag) kafka_tag ;;
  *) sed -n '2,9p' "$0"; exit 2 ;;
esac
