#!/usr/bin/env bash
# Run the whole test suite on real servers. With KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI set, use those;
# otherwise start a private Kafka + FerretDB (ports 19092/37017, state in .state/test), and stop it afterwards.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
STATE="$ROOT/.state/test"

if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ] || [ -z "${MONGODB_URI:-}" ]; then
  infra/stack.sh stop "$STATE"
  rm -rf "$STATE"  # every run starts from empty servers
  infra/stack.sh start "$STATE" 19092 37017 || exit 1
  trap 'infra/stack.sh stop "$STATE"' EXIT
  export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 MONGODB_URI="mongodb://127.0.0.1:37017/?directConnection=true"
fi

.venv/bin/python -m pytest "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  code=1
fi
exit "$code"
