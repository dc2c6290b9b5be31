#!/usr/bin/env bash
# The front door: set up this host, build, bring up a 3-host lab, and open xnet-tui on lab host h1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
npm run --silent build
node dist/cli/main.js lab up --hosts "${XNET_LAB_HOSTS:-3}"
exec node dist/cli/main.js --lab h1 "$@"
