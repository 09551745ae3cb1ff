#!/usr/bin/env bash
# `npm run test:cluster`: Sluice scaled out, on the cluster profile (three Kafka brokers with
# replication factor 3 and min.insync.replicas 2; a Redis Cluster of three masters with a
# replica each). Two parts, each stopping by itself; about 15 minutes. Not part of `npm test`.
#  1. The Redis integration suites (staging, part-writer, assembler with expiry and the
#     reconciler, ingest) against the Redis Cluster instead of one Redis.
#  2. The scale-out run (infra/local/src/faults/scale-out.ts): two instances of every app, 40
#     uploads of 1 B to 64 MiB spread over both ingest instances, while one instance of each
#     app is SIGKILLed and restarted, a broker is stopped for 30 s and a Redis master is
#     SIGKILLed. It prints the partition owners around each kill and a table; lost must be 0.
# Arguments go to the scale-out run (--uploads <n>, --seed <n>, --max-size <MiB>);
# `--suites-only` and `--run-only` run one part.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
part=both
args=()
for arg in "$@"; do
  case "$arg" in
    --suites-only) part=suites ;;
    --run-only) part=run ;;
    *) args+=("$arg") ;;
  esac
done
node infra/local/src/cli.ts up --profile cluster >&2 || exit 1
eval "$(node infra/local/src/cli.ts env)"
export SLUICE_REDIS_URL="$SLUICE_REDIS_CLUSTER_URL"
status=0
if [ "$part" != run ]; then
  echo "── Redis integration suites against the Redis Cluster ($SLUICE_REDIS_URL)" >&2
  # Each project's tests from its own folder, as `npm test` runs them.
  for suite in \
    "libs/staging:test/*.test.ts" \
    "libs/part-writer-core:test/*.test.ts" \
    "libs/assembler-core:test/*.test.ts" \
    "apps/part-writer:test/*.test.ts" \
    "apps/assembler:test/app.test.ts test/reconcile.test.ts" \
    "apps/ingest-api:test/*.test.ts"; do
    dir="${suite%%:*}"
    echo "── $dir" >&2
    # shellcheck disable=SC2086 # the globs expand in the project's folder
    (cd "$dir" && node --test --test-concurrency=1 --test-reporter=dot ${suite#*:}) || status=1
  done
fi
if [ "$part" != suites ]; then
  echo "── Scale-out run on the Kafka cluster ($SLUICE_KAFKA_CLUSTER_BROKERS) and the Redis Cluster" >&2
  SLUICE_KAFKA_BROKERS="$SLUICE_KAFKA_CLUSTER_BROKERS" SLUICE_KAFKA_REPLICATION=3 \
    node infra/local/src/faults/scale-out.ts "${args[@]}" || status=1
fi
exit $status
