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
npm install --no-audit --no-fund
