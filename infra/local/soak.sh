#!/usr/bin/env bash
# The long fault and soak runs (`npm run test:soak`): services up, then every project's
# `soak` target (test/**/*.soak.ts), one project at a time. Not part of `npm test`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
node infra/local/src/cli.ts up || exit 1
nx run-many -t soak --parallel=1 --output-style=stream
