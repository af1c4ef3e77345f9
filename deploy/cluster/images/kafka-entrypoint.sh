#!/bin/sh
# Writes server.properties from the environment, formats the data directory on first start, runs the broker.
#   KAFKA_ADVERTISED_HOST  the Service name clients use (required)
#   KAFKA_EXTERNAL_ADVERTISED  host:port of a second listener (:9094) for clients outside the cluster
#                              (the tests on the node, through a NodePort); unset: no such listener
#   KAFKA_DATA_DIR         the volume (default /var/lib/kafka)
#   KAFKA_TLS_DIR          broker.p12, broker.p12.password and ca.pem (deploy/local/kafka_security.py): clients
#                          then speak SASL_SSL with SCRAM-SHA-512 and ACLs apply, as on the local stack (ADR 7);
#                          unset: PLAINTEXT, no ACLs
#   KAFKA_ADMIN_PASSWORD_FILE  the super user `admin`'s SCRAM password (with KAFKA_TLS_DIR)
set -euf  # -f: the classpath wildcard is for java, not for the shell
: "${KAFKA_ADVERTISED_HOST:?}"
DATA=${KAFKA_DATA_DIR:-/var/lib/kafka}
CFG=/tmp/server.properties
if [ -n "${KAFKA_TLS_DIR:-}" ]; then CLIENTS=SASL_SSL; CONTROLLER=SSL; else CLIENTS=PLAINTEXT; CONTROLLER=PLAINTEXT; fi
LISTENERS="INTERNAL://:9092,CONTROLLER://127.0.0.1:9093"
ADVERTISED="INTERNAL://${KAFKA_ADVERTISED_HOST}:9092"
if [ -n "${KAFKA_EXTERNAL_ADVERTISED:-}" ]; then
  LISTENERS="$LISTENERS,EXTERNAL://:9094"
  ADVERTISED="$ADVERTISED,EXTERNAL://${KAFKA_EXTERNAL_ADVERTISED}"
fi
umask 077
cat > "$CFG" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:9093
listeners=${LISTENERS}
advertised.listeners=${ADVERTISED}
inter.broker.listener.name=INTERNAL
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:${CONTROLLER},INTERNAL:${CLIENTS},EXTERNAL:${CLIENTS}
log.dirs=${DATA}/data
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
FORMAT_SCRAM=""
if [ -n "${KAFKA_TLS_DIR:-}" ]; then
  ADMIN_PASSWORD=$(cat "${KAFKA_ADMIN_PASSWORD_FILE:?}")
  JAAS="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"${ADMIN_PASSWORD}\";"
  cat >> "$CFG" <<PROPS
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.internal.scram-sha-512.sasl.jaas.config=${JAAS}
listener.name.external.scram-sha-512.sasl.jaas.config=${JAAS}
ssl.keystore.type=PKCS12
ssl.keystore.location=${KAFKA_TLS_DIR}/broker.p12
ssl.keystore.password=$(cat "${KAFKA_TLS_DIR}/broker.p12.password")
ssl.truststore.type=PEM
ssl.truststore.location=${KAFKA_TLS_DIR}/ca.pem
listener.name.controller.ssl.client.auth=required
ssl.principal.mapping.rules=RULE:^CN=([^,]+)\$/\$1/,DEFAULT
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:kafka-broker
PROPS
  FORMAT_SCRAM="SCRAM-SHA-512=[name=admin,password=${ADMIN_PASSWORD}]"
fi
# The admin's credential is written when the data directory is formatted. A directory formatted without it
# (before security was on, or for another admin password) would never let the broker in: this dev broker
# then starts afresh, as its data is test data.
MARK="$DATA/admin-credential"
EXPECTED=$(printf '%s' "$FORMAT_SCRAM" | sha256sum | cut -c1-16)
if [ -f "$DATA/data/meta.properties" ] && [ "$(cat "$MARK" 2>/dev/null || true)" != "$EXPECTED" ]; then
  echo "kafka-entrypoint: data formatted for other credentials; starting afresh" >&2
  rm -rf "$DATA/data"
fi
JAVA="java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -Dlog4j2.configurationFile=/opt/kafka/log4j2.properties -Dkafka.logs.dir=/tmp -cp /opt/kafka/libs/*"
if [ ! -f "$DATA/data/meta.properties" ]; then
  if [ -n "$FORMAT_SCRAM" ]; then
    $JAVA kafka.tools.StorageTool format --standalone -t "$($JAVA kafka.tools.StorageTool random-uuid)" -c "$CFG" \
      --add-scram "$FORMAT_SCRAM"
  else
    $JAVA kafka.tools.StorageTool format --standalone -t "$($JAVA kafka.tools.StorageTool random-uuid)" -c "$CFG"
  fi
  printf '%s\n' "$EXPECTED" > "$MARK"
fi
exec $JAVA kafka.Kafka "$CFG"
