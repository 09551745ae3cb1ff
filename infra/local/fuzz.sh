#!/usr/bin/env bash
# `npm run test:fuzz`: 100,000 generated requests (valid, corrupt, truncated, lying streams,
# raw HTTP/2 with broken framing, idle streams) against a real ingest-api process. Every call
# must get a status, none INTERNAL, and the process must stay up with bounded memory. A 3,000
# request part of it runs in `npm test`. SLUICE_FUZZ_REQUESTS and SLUICE_FUZZ_SEED change the
# run; a failure prints its seed, which replays it.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
node infra/local/src/cli.ts up || exit 1
cd apps/ingest-api && SLUICE_FUZZ_REQUESTS="${SLUICE_FUZZ_REQUESTS:-100000}" node --test --test-reporter=spec test/fuzz.test.ts
