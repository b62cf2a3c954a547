#!/usr/bin/env bash
# Sets up a fresh machine for the tests: Debian's Chromium for the entity card's browser test
# (playwright-core drives it; npm's browser downloads are not reachable here), then the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing Debian's chromium for the browser test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "warning: chromium is missing and cannot be installed here (needs root and apt-get);" \
      "the entity card's browser test will fail until /usr/bin/chromium exists" >&2
  fi
fi
# Node 24, the runtime the actions declare (runs.using: node24), for their tests: in a prefix of
# its own, so its `node` never lands in a node_modules/.bin that npm scripts put on PATH.
node24=.cache/node24/node_modules/.bin/node
if ! { [ -x "$node24" ] && [[ "$("$node24" --version)" == v24.* ]]; }; then
  echo "==> installing Node 24 into .cache/node24 for the actions' tests"
  npm install --prefix .cache/node24 --no-save --no-package-lock --no-audit --no-fund node@24 >/dev/null
fi
npm install --no-audit --no-fund
