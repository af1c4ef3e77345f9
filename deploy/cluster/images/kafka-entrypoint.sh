#!/bin/sh
# Writes server.properties from the environment, formats the data directory on first start, runs the broker.
#   KAFKA_ADVERTISED_HOST  the Service name clients use (required)
#   KAFKA_EXTERNAL_ADVERTISED  host:port of a second listener (:9094) for clients outside the cluster
#                              (the tests on the node, through a NodePort); unset: no such listener
#   KAFKA_DATA_DIR         the volume (default /var/lib/kafka)
set -euf  # -f: the classpath wildcard is for java, not for the shell
: "${KAFKA_ADVERTISED_HOST:?}"
DATA=${KAFKA_DATA_DIR:-/var/lib/kafka}
CFG=/tmp/server.properties
LISTENERS="PLAINTEXT://:9092,CONTROLLER://127.0.0.1:9093"
ADVERTISED="PLAINTEXT://${KAFKA_ADVERTISED_HOST}:9092"
if [ -n "${KAFKA_EXTERNAL_ADVERTISED:-}" ]; then
  LISTENERS="$LISTENERS,EXTERNAL://:9094"
  ADVERTISED="$ADVERTISED,EXTERNAL://${KAFKA_EXTERNAL_ADVERTISED}"
fi
cat > "$CFG" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:9093
listeners=${LISTENERS}
advertised.listeners=${ADVERTISED}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT
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
JAVA="java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -Dlog4j2.configurationFile=/opt/kafka/log4j2.properties -Dkafka.logs.dir=/tmp -cp /opt/kafka/libs/*"
if [ ! -f "$DATA/data/meta.properties" ]; then
  $JAVA kafka.tools.StorageTool format --standalone -t "$($JAVA kafka.tools.StorageTool random-uuid)" -c "$CFG"
fi
exec $JAVA kafka.Kafka "$CFG"
