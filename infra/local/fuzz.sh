#!/usr/bin/env bash
# `npm run test:fuzz`: 100,000 generated requests (valid, corrupt, truncated, lying streams,
# raw HTTP/2 with broken framing, idle streams) against a real ingest-api process. Every call
# must get a status, none INTERNAL, and the process must stay up with bounded memory. A 3,000
# request part of it runs in `npm test`. Then poison records (random bytes, empty and null values,
# unknown schema ids, corrupt protobuf, records at the size limit, events breaking a rule) on every
# topic the four running apps consume: each must reach its dead-letter topic or the projector's
# rejected_events with its cause, and a file uploaded afterwards must land (it runs in `npm test`
# too). SLUICE_FUZZ_REQUESTS and SLUICE_FUZZ_SEED change the run; a failure prints its seed,
# which replays it. Both steps always run; the script fails if either fails.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
node infra/local/src/cli.ts up || exit 1
rc=0
(cd apps/ingest-api && SLUICE_FUZZ_REQUESTS="${SLUICE_FUZZ_REQUESTS:-100000}" node --test --test-reporter=spec test/fuzz.test.ts) || rc=1
(cd apps/assembler && node --test --test-reporter=spec test/poison.e2e.test.ts) || rc=1
exit "$rc"
