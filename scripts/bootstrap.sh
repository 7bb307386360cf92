#!/bin/sh
# Installs what `npm start` and `npm test` need: npm packages (when missing or stale)
# and the embedded stack's Go-built binaries (when missing).
set -e
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "cxloop: installing npm packages…"
  npm ci --no-audit --no-fund
fi
node_modules/.bin/tsx scripts/install-stack.ts
