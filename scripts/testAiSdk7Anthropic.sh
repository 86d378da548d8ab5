#!/usr/bin/env bash
# Runs test/processor/aiSdk7Anthropic.test.ts: the Vercel AI SDK 7 with Anthropic (ai@7,
# @ai-sdk/anthropic@4, @ai-sdk/otel@1, installed into a scratch folder) against the fake
# Anthropic server. The repository's devDependencies are the ai 6 line; ai 7 needs Node >= 22.
#
#   scripts/testAiSdk7Anthropic.sh                              # scratch folder in a temp dir, removed at the end
#   AI7_ANTHROPIC_DIR=/tmp/ai7a scripts/testAiSdk7Anthropic.sh  # reuse (or create) that folder; it is kept
#
# Needs the npm registry once, to install the packages into the scratch folder.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)'; then
  echo "testAiSdk7Anthropic: ai 7 needs Node >= 22 (this is $(node --version)); run it with Node 22+ or 24 first on PATH" >&2
  exit 2
fi

if [ -z "${AI7_ANTHROPIC_DIR:-}" ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
else
  scratch=$AI7_ANTHROPIC_DIR
  mkdir -p "$scratch"
fi
[ -f "$scratch/package.json" ] || echo '{"private":true}' >"$scratch/package.json"
if [ ! -f "$scratch/node_modules/@ai-sdk/anthropic/package.json" ]; then
  npm install --prefix "$scratch" --no-audit --no-fund --no-save ai@7 @ai-sdk/anthropic@4 @ai-sdk/otel@1 >/dev/null
fi
v() { node -p "require(process.argv[1]).version" "$scratch/node_modules/$1/package.json"; }
echo "testAiSdk7Anthropic: node $(node --version), ai $(v ai), @ai-sdk/anthropic $(v @ai-sdk/anthropic), @ai-sdk/otel $(v @ai-sdk/otel)"

cd "$root"
TOLLGATE_AI7_ANTHROPIC_DIR="$scratch" node node_modules/vitest/vitest.mjs run test/processor/aiSdk7Anthropic.test.ts
