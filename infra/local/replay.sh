#!/usr/bin/env bash
# `npm run test:replay`: the pipeline lands files, every local service is stopped and started
# again, more files land, and the topics must still replay from offset 0 (rebuild, fresh
# consumers, the stock Java deserializer). It restarts the services others may be using, so
# it is not part of `npm test`; about 5 minutes.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
node infra/local/src/cli.ts up || exit 1
cd libs/client && node --test --test-reporter=spec test/replay.e2e.ts
