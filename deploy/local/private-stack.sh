# Sourced by run-tests.sh and run-bench.sh: a private stack on test ports (never those of `make up`),
# with fresh data in $PORTAL_RUN_DIR, stopped when the calling script exits.
: "${PYTHON:?run through make}"
STACK=$ROOT/deploy/local/stack.sh
export KAFKA_PORT=19092 KAFKA_CONTROLLER_PORT=19093 FERRETDB_PORT=37017 SMTP_PORT=11025
export TEST_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT
export TEST_MONGO_URI=mongodb://127.0.0.1:$FERRETDB_PORT/
export TEST_SMTP_PORT=$SMTP_PORT TEST_MAILDIR=$PORTAL_RUN_DIR/smtp/maildir
"$STACK" reset
trap '"$STACK" down' EXIT
"$STACK" up
