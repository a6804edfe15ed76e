#!/usr/bin/env bash
# THE test command (README, .ci/run): prepares the machine (packages, dockerd, npm ci,
# build), then runs the unit suite and the end-to-end suite on real etcd, dockerd and
# simulated Raspberry Pi nodes. Exits non-zero if anything fails. Needs root.
#
#   bash test/run.sh              everything
#   bash test/run.sh --unit       unit tests only
#   bash test/run.sh --e2e        end-to-end tests only
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

projects=(unit e2e)
case "${1:-}" in
  --unit) projects=(unit) ;;
  --e2e) projects=(e2e) ;;
  "") ;;
  *) echo "usage: bash test/run.sh [--unit|--e2e]" >&2; exit 2 ;;
esac

bash test/bed/prepare.sh
# The test bed, scenarios, benchmarks and unit tests are TypeScript that vitest and tsx
# run unchecked (the package builds leave tests out).
echo "==> typecheck test/, bench/ and the unit tests"
npx tsc -p test/tsconfig.json
npx tsc -p tsconfig.tests.json
# One project after the other: some unit tests measure CPU usage against docker stats and
# must not share the two cores with the end-to-end clusters. Both always run; the exit code
# says whether everything passed.
status=0
for project in "${projects[@]}"; do
  echo "==> vitest project $project"
  npx vitest run --project "$project" </dev/null || status=1
done
if ((status)); then echo "==> FAILED (see the summaries above)" >&2; else echo "==> all passed"; fi
exit "$status"
