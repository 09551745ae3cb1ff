#!/usr/bin/env bash
# The test command (`npm test`): lint, typecheck and build every project, check that the
# generated code matches proto/, start the real services, then run every project's tests
# against them. Run through infra/local/node.sh, so Node 24 and the dependencies are in place.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

log=$(mktemp -t sluice-test.XXXXXX)
trap 'rm -f "$log"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "lint, typecheck, build"
nx run-many -t lint typecheck build --output-style=static || exit 1

step "services"
node infra/local/src/cli.ts up || exit 1

step "tests"
nx run-many -t test --parallel=1 --output-style=stream 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# One closing line for the whole run, summed over every project's node:test summary.
passed=$(grep -aoE 'ℹ pass [0-9]+' "$log" | awk '{s += $3} END {print s + 0}')
# A test cancelled by its timeout did not pass: it counts as failed.
failed=$(grep -aoE 'ℹ (fail|cancelled) [0-9]+' "$log" | awk '{s += $3} END {print s + 0}')
echo
echo "tests: $passed passed, $failed failed"
if [ "$rc" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "no test ran: that is a failure" >&2
  exit 1
fi
exit "$rc"
