# Sourced by run-tests.sh and run-bench.sh: a private stack on test ports (never those of `make up`),
# with fresh data in $PORTAL_RUN_DIR, stopped when the calling script exits.
: "${PYTHON:?run through make}"
STACK=$ROOT/deploy/local/stack.sh
export PORTAL_LAYOUT=test  # the ports of deploy/local/topology.py's test layout
export TEST_MAILDIR=$PORTAL_RUN_DIR/smtp/maildir
"$STACK" reset
trap '"$STACK" down' EXIT
"$STACK" up
