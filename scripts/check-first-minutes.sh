#!/usr/bin/env bash
# A newcomer's first minutes (issue 14), on a fresh clone of this repository's HEAD in a temporary
# folder: the README's first command, then the README's next commands' `npx spillway`.
# Slow (a full install and the demo): run it by hand or before a release, not in `npm test`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
git clone --quiet --no-local "$repo" "$dir/spillway"
cd "$dir/spillway"
echo "==> npm install --no-audit --no-fund && npm run demo"
npm install --no-audit --no-fund && npm run demo
echo "==> npx spillway --version"
npx spillway --version
echo "==> npx spillway validate -f examples/food-review.yaml"
npx spillway validate -f examples/food-review.yaml
echo "first minutes: ok"
