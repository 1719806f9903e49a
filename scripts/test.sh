#!/usr/bin/env bash
# The whole test suite, as the README and CI run it: install dependencies when missing, build,
# type-check, lint (an import against the layers fails here), start a real dockerd for the live
# tests (installing Debian's docker.io when missing), run unit and live tests, then stop the daemon
# this script started. Exit non-zero on any failure, including traffic from test address pools
# that tried to leave through the host's uplink.
#
#   NETSLEUTH_SKIP_LIVE=1 npm test   # unit tests only (no root, no dockerd); says so loudly
set -uo pipefail
cd "$(dirname "$0")/.."

say() { printf 'test: %s\n' "$*" >&2; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install` (which follows package-lock.json) rather than `npm ci`: npm 11.19 rejects its own
  # lock files in `npm ci` when they hold platform-specific optional packages (rollup's).
  say "installing npm dependencies (npm install)"
  npm install --no-audit --no-fund || exit 1
fi
say "building"
npm run -s build || exit 1
say "type-checking sources and tests"
npm run -s typecheck || exit 1
say "linting (eslint.config.js: layer rules, then correctness rules)"
npm run -s lint || exit 1

if [ "${NETSLEUTH_SKIP_LIVE:-}" = "1" ]; then
  say "NETSLEUTH_SKIP_LIVE=1: live tests against a real dockerd are SKIPPED"
  npx vitest run --project unit
  exit $?
fi

bash scripts/test-dockerd.sh start || { say "could not start a test dockerd (see above)"; exit 1; }
status=0
{
  eval "$(bash scripts/test-dockerd.sh env)" &&
  bash scripts/test-dockerd.sh image &&
  npx vitest run
} || status=$?
bash scripts/test-dockerd.sh stop || { say "stopping the test dockerd failed or the egress guard saw leaked traffic"; status=1; }
exit $status
