#!/usr/bin/env bash
# Run the whole test suite on real servers. With KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI set, use those;
# otherwise start a private Kafka + in-memory store (ports 19092/37017, state in .state/test), and stop it afterwards.
# Tests that restart or kill the store start one of their own on an H2 file (tests/support/private_stack.py).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
STATE=${TEST_STATE:-$ROOT/.state/test}
KPORT=${TEST_KAFKA_PORT:-19092} MPORT=${TEST_STORE_PORT:-37017}  # override to run two suites side by side

if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ] || [ -z "${MONGODB_URI:-}" ]; then
  infra/stack.sh stop "$STATE"
  rm -rf "$STATE"  # every run starts from empty servers
  STORE_BACKEND=memory infra/stack.sh start "$STATE" "$KPORT" "$MPORT" || exit 1
  trap 'infra/stack.sh stop "$STATE"' EXIT
  export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KPORT MONGODB_URI="mongodb://127.0.0.1:$MPORT/?directConnection=true"
fi

.venv/bin/python -m pytest "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  code=1
fi
exit "$code"
