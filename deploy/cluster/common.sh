# Sourced by the cluster scripts: versions, cache locations and messages, in one place.
# shellcheck shell=bash
CLUSTER_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$CLUSTER_HERE/../.." && pwd)
# shellcheck source=versions.env
source "$CLUSTER_HERE/versions.env"
PORTAL_CACHE=${PORTAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portal}
CLUSTER_CACHE=${CLUSTER_CACHE:-$PORTAL_CACHE/cluster}
BIN=$CLUSTER_CACHE/bin            # the programs build.sh makes, one file per name and version
RUN=$CLUSTER_CACHE/run            # state kept across down/up: PKI, etcd data, volumes, logs
NODE_IP=198.18.255.1
say() { printf '[%s] %s\n' "${SAY_PREFIX:-cluster}" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
# The newest of the given files. No `ls -t | head -1`: under pipefail head's early exit fails the pipe (141).
latest() { local f newest=; for f in "$@"; do [[ -z $newest || $f -nt $newest ]] && newest=$f; done; echo "$newest"; }
