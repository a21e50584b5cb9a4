#!/usr/bin/env bash
# Builds the folder the server's container image runs, the one way both the Dockerfile's build stage
# and the tests (test/packages/deploy.test.ts) do it: install, build, then assemble <out> with the
# compiled server and its production dependencies only (scripts/deploy/assemble-server.ts). The
# image starts it with `node node_modules/@crypto-checkout/server/dist/main.js` from <out>.
#
# Usage: scripts/deploy/build-server.sh <out> [--skip-install] [--skip-build] [--offline]
#   --skip-install  node_modules is installed already (the Dockerfile installs in its own layer)
#   --skip-build    the workspace is built already (a test that has built it)
#   --offline       install <out> from npm's cache only
set -euo pipefail
cd "$(dirname "$0")/../.."

out="${1:?usage: scripts/deploy/build-server.sh <out> [--skip-install] [--skip-build] [--offline]}"
shift
install=1 build=1 assemble_flags=()
for flag in "$@"; do
  case "$flag" in
    --skip-install) install=0 ;;
    --skip-build) build=0 ;;
    --offline) assemble_flags+=(--offline) ;;
    *) echo "build-server: unknown flag $flag" >&2; exit 64 ;;
  esac
done

echo "build-server: node $(node --version), npm $(npm --version)"
if [ "$install" = 1 ]; then npm ci --no-audit --no-fund; fi
if [ "$build" = 1 ]; then npm run build; fi
node --import tsx scripts/deploy/assemble-server.ts "$out" "${assemble_flags[@]}"
