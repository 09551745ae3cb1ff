#!/usr/bin/env bash
# `npm run test:tracing`: one upload through the four apps gives one trace in the local Jaeger
# with spans from all of them. Starts the services and Jaeger (whose first build takes a few
# minutes); about a minute once they are up.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
node infra/local/src/cli.ts up || exit 1
node infra/local/src/cli.ts up jaeger || exit 1
cd libs/client && node --test --test-reporter=spec test/tracing.e2e.ts
