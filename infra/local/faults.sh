#!/usr/bin/env bash
# `npm run test:faults`: the fault matrix (SIGKILLed apps, a Kafka and a MariaDB crash, a
# paused S3, S3 errors and connection resets, Redis lost or full, the projector's database
# unreachable), one row each: uploads started, chunks acknowledged, completed byte-identical,
# failed with a stated reason, lost. Exits 1 when any upload is lost. About 15 minutes;
# `--quick` runs four scenarios, `--only <text>` the ones whose name contains it, and
# `--seed <n>` replays a run. Not part of `npm test`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
node infra/local/src/cli.ts up || exit 1
node infra/local/src/cli.ts up toxiproxy || exit 1
exec node infra/local/src/faults/run.ts "$@"
