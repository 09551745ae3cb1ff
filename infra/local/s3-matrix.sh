#!/usr/bin/env bash
# The S3 compatibility matrix: versitygw, moto and s3proxy started by infra/local and probed;
# then, on each, drive-check with a wrong and a right drive, the storage suite (on moto the
# part-writer's too), told what the probe found, and an end-to-end upload set through the whole
# pipeline with the drive settings the probe recommends (see infra/local/src/s3-matrix/run.ts).
# Exits 0 only when every suite and set passes and the drive checks answer as expected. The
# part-writer suite and the upload sets need redis, kafka, apicurio and mysql up (`npm run infra
# -- up`); the matrix starts only the stores. Options:
#   --keep             leave the stores this run started running
#   --skip-suites      print the probe and drive-check tables only
#   --suite-timeout S  seconds each suite may take (default 600)
#   --e2e-timeout S    seconds each upload set may take, its apps' start included (default 120)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/node.sh" node "$here/src/s3-matrix/run.ts" "$@"
