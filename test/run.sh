#!/usr/bin/env bash
# THE test command (README, .ci/run): prepares the machine (packages, dockerd, npm ci,
# build), then runs the unit suite and the end-to-end suite on real etcd, dockerd and
# simulated Raspberry Pi nodes. Exits non-zero if anything fails. Needs root.
#
#   bash test/run.sh              everything
#   bash test/run.sh --unit       unit tests only (no root needed beyond preparation)
#   bash test/run.sh --e2e        end-to-end tests only
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

projects=(--project unit --project e2e)
case "${1:-}" in
  --unit) projects=(--project unit) ;;
  --e2e) projects=(--project e2e) ;;
  "") ;;
  *) echo "usage: bash test/run.sh [--unit|--e2e]" >&2; exit 2 ;;
esac

bash test/bed/prepare.sh
# One vitest run for both projects, so the summary at the end covers everything.
exec npx vitest run "${projects[@]}" </dev/null
