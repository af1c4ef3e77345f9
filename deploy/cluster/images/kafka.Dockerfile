# Single-node Apache Kafka (KRaft) for the test cluster: Maven Central jars on Debian's JRE.
ARG BASE
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 kafka && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin kafka
COPY libs /opt/kafka/libs
COPY log4j2.properties kafka-entrypoint.sh /opt/kafka/
USER 10001:10001
ENTRYPOINT ["/bin/sh", "/opt/kafka/kafka-entrypoint.sh"]
