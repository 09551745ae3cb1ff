#!/usr/bin/env bash
# The S3 compatibility matrix: versitygw, moto and s3proxy started by infra/local, probed, and
# the storage suite run against each (see infra/local/src/s3-matrix/run.ts). Options:
#   --keep             leave the stores this run started running
#   --skip-suites      print the probe table only
#   --suite-timeout S  seconds each suite may take (default 600)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/node.sh" node "$here/src/s3-matrix/run.ts" "$@"
