#!/usr/bin/env bash
# The local real stack: Apache Kafka (KRaft, single node), FerretDB (SQLite backend) and an SMTP sink.
#
#   stack.sh install                 download/build what is missing (cached outside the git tree)
#   stack.sh up [kafka|ferretdb|smtp]...     start (all by default) and wait until ready
#   stack.sh down [kafka|ferretdb|smtp]...   stop (all by default)
#   stack.sh status                  one line per component
#   stack.sh reset                   stop everything and delete this run dir's data
#
# Everything is parametrised by environment so tests can run a second, private stack:
#   PORTAL_CACHE   (default ${XDG_CACHE_HOME:-$HOME/.cache}/portal)  downloads, builds
#   PORTAL_RUN_DIR (default $PORTAL_CACHE/run/local)                 pids, logs, data
#   PORTAL_LAYOUT  (default local) the ports of deploy/local/topology.py; KAFKA_PORT, KAFKA_CONTROLLER_PORT,
#                  FERRETDB_PORT, SMTP_PORT set by the caller win
#   FERRETDB_GOGC  (default 400) the Go collector target of FerretDB
#   KAFKA_SECURITY (default scram) SASL_SSL, SCRAM users and ACLs as in production (ADR 7); `plaintext` only
#                  for a benchmark's baseline on a broker of its own
#   PYTHON         interpreter of the project's virtual environment (for the SMTP sink and topics)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAFKA_VERSION=4.1.1
FERRETDB_VERSION=v1.24.2
PORTAL_CACHE=${PORTAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portal}
PORTAL_RUN_DIR=${PORTAL_RUN_DIR:-$PORTAL_CACHE/run/local}
PYTHON=${PYTHON:-python3}
eval "$(cd "$HERE/../.." && "$PYTHON" -m deploy.local.topology exports "${PORTAL_LAYOUT:-local}")"
KAFKA_HOME=$PORTAL_CACHE/kafka-$KAFKA_VERSION
# Our one fix to FerretDB (see the patch): the binary's name carries the patch's hash.
FERRETDB_PATCH=$HERE/ferretdb-sqlite-id-index.patch
FERRETDB_BIN=$PORTAL_CACHE/bin/ferretdb-$FERRETDB_VERSION-$(sha256sum "$FERRETDB_PATCH" | cut -c1-8)
ALL=(ferretdb kafka smtp)

say() { printf '[stack] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------- install

install_kafka() {
  [ -f "$KAFKA_HOME/.complete" ] && return 0
  command -v java >/dev/null || die "java is required for Kafka (apt-get install openjdk-17-jre-headless)"
  command -v mvn >/dev/null || die "maven is required to fetch Kafka from Maven Central (apt-get install maven)"
  say "fetching Apache Kafka $KAFKA_VERSION from Maven Central into $KAFKA_HOME (first run only)..."
  rm -rf "$KAFKA_HOME" && mkdir -p "$KAFKA_HOME"
  mvn -q -B -f "$HERE/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME/libs"
  touch "$KAFKA_HOME/.complete"
}

install_ferretdb() {
  [ -x "$FERRETDB_BIN" ] && return 0
  command -v go >/dev/null || die "go is required to build FerretDB"
  say "building FerretDB $FERRETDB_VERSION through the Go module proxy (first run only, a few minutes)..."
  local dir src
  # Go's caches in the project's cache, as the cluster's builds have theirs: removing it makes a machine new again.
  export GOMODCACHE=$PORTAL_CACHE/go/mod GOCACHE=$PORTAL_CACHE/go/cache
  dir=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || die "go mod download gave no module directory"
  src=$PORTAL_CACHE/build/ferretdb-$FERRETDB_VERSION
  rm -rf "$src" && mkdir -p "$(dirname "$src")" && cp -r "$dir" "$src" && chmod -R u+w "$src"
  # version.txt is generated upstream and missing from the module zip (FerretDB issue #2982).
  echo "$FERRETDB_VERSION" > "$src/build/version/version.txt"
  # _id lookups use the _id index FerretDB creates (upstream they scan the whole collection).
  patch -s -p1 -d "$src" < "$FERRETDB_PATCH"
  mkdir -p "$(dirname "$FERRETDB_BIN")"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb)
  mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
}

# axe-core, the accessibility checker the browser tests run in every page, from the npm registry (its tarball's
# integrity is checked by npm against the registry's record).
AXE_VERSION=4.14.1
install_axe() {
  local dir=$PORTAL_CACHE/axe-core-$AXE_VERSION tmp
  [ -f "$dir/axe.min.js" ] && return 0
  command -v npm >/dev/null || die "npm is required to fetch axe-core (apt-get install npm)"
  say "fetching axe-core $AXE_VERSION from the npm registry (first run only)..."
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack -q "axe-core@$AXE_VERSION" >/dev/null && tar -xzf "axe-core-$AXE_VERSION.tgz")
  mkdir -p "$dir" && cp "$tmp/package/axe.min.js" "$dir/axe.min.js.tmp" && mv "$dir/axe.min.js.tmp" "$dir/axe.min.js"
  rm -rf "$tmp"
}

install_debian_tools() {
  local missing=()
  command -v wkhtmltopdf >/dev/null || missing+=(wkhtmltopdf)
  command -v pdftotext >/dev/null || missing+=(poppler-utils)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v patch >/dev/null || missing+=(patch)
  command -v openssl >/dev/null || missing+=(openssl)  # local VAPID key, test certificates
  command -v chromium >/dev/null || missing+=(chromium)  # the browser journeys of the web pages
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# ---------------------------------------------------------------------------------------------- process helpers

pidfile() { echo "$PORTAL_RUN_DIR/$1.pid"; }

running() {
  local pf; pf=$(pidfile "$1")
  [ -f "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null
}

launch() {  # launch NAME LOGFILE CMD...
  local name=$1 log=$2; shift 2
  mkdir -p "$(dirname "$log")"
  setsid "$@" >>"$log" 2>&1 < /dev/null &
  echo $! > "$(pidfile "$name")"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_until() {  # wait_until NAME SECONDS LOGFILE TEST...
  local name=$1 limit=$2 log=$3; shift 3
  local deadline=$((SECONDS + limit))
  until "$@"; do
    if ! running "$name"; then tail -n 40 "$log" >&2 || true; die "$name exited during start-up (log: $log)"; fi
    if [ $SECONDS -ge $deadline ]; then tail -n 40 "$log" >&2 || true; die "$name not ready after ${limit}s (log: $log)"; fi
    sleep 0.2
  done
}

stop_component() {
  local name=$1 pf pid
  pf=$(pidfile "$name")
  if ! running "$name"; then rm -f "$pf"; return 0; fi
  pid=$(cat "$pf")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pf"
  say "$name stopped"
}

# ---------------------------------------------------------------------------------------------- components

up_ferretdb() {
  install_ferretdb
  running ferretdb && { say "ferretdb already running on $FERRETDB_PORT"; return 0; }
  local data=$PORTAL_RUN_DIR/ferretdb log=$PORTAL_RUN_DIR/ferretdb/ferretdb.log
  mkdir -p "$data/sqlite" "$data/state"
  # WAL with synchronous=NORMAL: durable across process crashes, fewer fsyncs (local and test data only).
  # GOGC 400: Go's collector ran on every few requests (FerretDB decodes and re-encodes each document);
  # a quarter less CPU per operation for about 65 MB of memory. FERRETDB_GOGC overrides it.
  GOGC=${FERRETDB_GOGC:-400} launch ferretdb "$log" "$FERRETDB_BIN" --handler=sqlite --sqlite-url="file:$data/sqlite/?_pragma=synchronous(normal)" \
    --listen-addr="127.0.0.1:$FERRETDB_PORT" --state-dir="$data/state" --debug-addr=- \
    --telemetry=disable --log-level=warn
  wait_until ferretdb 60 "$log" port_open "$FERRETDB_PORT"
  say "ferretdb ready: mongodb://127.0.0.1:$FERRETDB_PORT/"
}

kafka_started() { grep -q "Kafka Server started" "$1"; }

up_kafka() {
  install_kafka
  running kafka && { say "kafka already running on $KAFKA_PORT"; return 0; }
  local dir=$PORTAL_RUN_DIR/kafka
  local log=$dir/kafka.log cfg=$dir/server.properties
  mkdir -p "$dir/data"
  local protocol=SASL_SSL controller=SSL admin_password="" keystore_password=""
  if [ "${KAFKA_SECURITY:-scram}" = plaintext ]; then
    protocol=PLAINTEXT controller=PLAINTEXT  # only for a benchmark's baseline: anyone on the machine may write
  else
    # The run's CA, broker keystore and passwords (made once per run dir; clients trust $dir/tls/ca.pem).
    (cd "$HERE/../.." && "$PYTHON" -m deploy.local.kafka_security tls "$dir" IP:127.0.0.1 DNS:localhost)
    admin_password=$(cat "$dir/secrets/admin.password") keystore_password=$(cat "$dir/tls/broker.p12.password")
  fi
  (
    umask 077
    sed -e "s|@PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" -e "s|@DATA_DIR@|$dir/data|g" \
        -e "s|@PROTOCOL@|$protocol|g" -e "s|@CONTROLLER_PROTOCOL@|$controller|g" "$HERE/kafka/server.properties.in"
    [ "$protocol" = PLAINTEXT ] || sed -e "s|@TLS_DIR@|$dir/tls|g" -e "s|@ADMIN_PASSWORD@|$admin_password|g" \
        -e "s|@KEYSTORE_PASSWORD@|$keystore_password|g" "$HERE/kafka/security.properties.in"
  ) > "$cfg"
  local java=(java -Xms256m -Xmx768m -XX:+UseG1GC "-Dlog4j2.configurationFile=$HERE/kafka/log4j2.properties"
              "-Dkafka.logs.dir=$dir" -cp "$KAFKA_HOME/libs/*")
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster_id scram=()
    cluster_id=$("${java[@]}" kafka.tools.StorageTool random-uuid)
    # The admin's SCRAM credential must exist before the broker can authenticate to itself.
    [ "$protocol" = PLAINTEXT ] || scram=(--add-scram "SCRAM-SHA-512=[name=admin,password=$admin_password]")
    "${java[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$cfg" "${scram[@]}" >/dev/null
  fi
  : > "$log"
  launch kafka "$log" "${java[@]}" kafka.Kafka "$cfg"
  wait_until kafka 120 "$log" kafka_started "$log"
  wait_until kafka 30 "$log" port_open "$KAFKA_PORT"
  if [ "${KAFKA_SKIP_TOPICS:-0}" != 1 ]; then
    if [ "$protocol" = PLAINTEXT ]; then
      KAFKA_SECURITY_PROTOCOL=PLAINTEXT "$PYTHON" -m portal_common.events_cli --bootstrap "127.0.0.1:$KAFKA_PORT" \
        ensure-topics >&2
    else
      (cd "$HERE/../.." && "$PYTHON" -m deploy.local.kafka_security grant "$dir" "127.0.0.1:$KAFKA_PORT" \
        account-events account-events.dlq)
      KAFKA_SASL_USERNAME=admin KAFKA_SASL_PASSWORD_FILE="$dir/secrets/admin.password" \
        KAFKA_CA_FILE="$dir/tls/ca.pem" "$PYTHON" -m portal_common.events_cli --bootstrap "127.0.0.1:$KAFKA_PORT" \
        ensure-topics >&2
    fi
  fi
  say "kafka ready: 127.0.0.1:$KAFKA_PORT ($protocol)"
}

up_smtp() {
  running smtp && { say "smtp sink already running on $SMTP_PORT"; return 0; }
  local dir=$PORTAL_RUN_DIR/smtp
  # A complete Maildir: aiosmtpd only creates tmp/new/cur when the folder itself is missing.
  mkdir -p "$dir/maildir/tmp" "$dir/maildir/new" "$dir/maildir/cur"
  launch smtp "$dir/smtp.log" "$PYTHON" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" \
    -c aiosmtpd.handlers.Mailbox "$dir/maildir"
  wait_until smtp 30 "$dir/smtp.log" port_open "$SMTP_PORT"
  say "smtp sink ready: 127.0.0.1:$SMTP_PORT (mail kept in $dir/maildir)"
}

status() {
  local name
  for name in "${ALL[@]}"; do
    if running "$name"; then echo "$name: running (pid $(cat "$(pidfile "$name")"))"; else echo "$name: stopped"; fi
  done
}

main() {
  local cmd=${1:-status}; shift || true
  local targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=("${ALL[@]}")
  mkdir -p "$PORTAL_RUN_DIR"
  case $cmd in
    install) install_debian_tools; install_kafka; install_ferretdb; install_axe ;;
    up) local t; for t in "${targets[@]}"; do "up_$t"; done ;;
    down) local i; for ((i=${#targets[@]}-1; i>=0; i--)); do stop_component "${targets[$i]}"; done ;;
    status) status ;;
    reset) for t in "${ALL[@]}"; do stop_component "$t"; done; rm -rf "$PORTAL_RUN_DIR" ;;
    *) die "unknown command '$cmd' (install|up|down|status|reset)" ;;
  esac
}

main "$@"
