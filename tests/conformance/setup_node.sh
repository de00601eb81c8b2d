#!/usr/bin/env bash
# Install the conformance suite's independent validators (ocpp-rpc, typed-ocpp)
# from the committed package-lock.json into ./node_modules.
# Idempotent: runs `npm ci` only when node_modules is missing or the lockfile
# changed (stamp in node_modules, like .venv/.requirements.sha for Python).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: node and npm are required (tests/conformance); install Node >= 18" >&2
  exit 1
fi
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
  echo "setup: Node >= 18 is required, found $(node --version)" >&2
  exit 1
fi

stamp=node_modules/.package-lock.sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "setup: node_modules ready"
