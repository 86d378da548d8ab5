#!/usr/bin/env bash
# An example app from the packed tarball: a fresh project installs `npm pack`'s tollgate tarball
# beside @opentelemetry/sdk-node 0.301, openai 7 and ai 7 (+ @ai-sdk/openai 4, @ai-sdk/otel 1), then
#   1. `npm ls` shows ONE copy of the trace SDK sdk-node uses (@opentelemetry/sdk-trace on the 3.x
#      line; sdk-trace-base, the 2.x line's, absent) and one @opentelemetry/api 1.10 for the app,
#      sdk-node and tollgate (@ai-sdk/otel nests its own 1.9.x);
#   2. scripts/exampleApp/app.test.mjs runs there: tollgate.start() on the host's sdk-node, OTLP over
#      http/protobuf to a local receiver that decodes the requests (priced chat spans, GenAI metrics),
#      and a deny budget met by openai 7 and by ai 7 as BudgetExceededError.
#
#   scripts/testExampleApp.sh                         # scratch folder in a temp dir, removed at the end
#   EXAMPLE_APP_DIR=/tmp/app scripts/testExampleApp.sh  # use (or create) that folder; it is kept
#
# Needs Node >= 22.15 first on PATH (CI: the Node 24 leg) and the npm registry. better-sqlite3 compiles
# against that node's headers: npm_config_nodedir, else TOLLGATE_NODE24_HOME, else the node's own prefix.
set -euo pipefail
started=$SECONDS
root=$(cd "$(dirname "$0")/.." && pwd)
if ! node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 22 || (major === 22 && minor >= 15) ? 0 : 1)'; then
  echo "testExampleApp: sdk-node 0.301 and ai 7 need Node >= 22.15 (this is $(node --version)); run it with Node 24 first on PATH" >&2
  exit 2
fi
if [ -z "${npm_config_nodedir:-}" ]; then
  prefix=${TOLLGATE_NODE24_HOME:-$(node -p 'require("node:path").resolve(process.execPath, "../..")')}
  if [ -d "$prefix/include/node" ]; then export npm_config_nodedir=$prefix; fi
fi

if [ -z "${EXAMPLE_APP_DIR:-}" ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
else
  scratch=$EXAMPLE_APP_DIR
  mkdir -p "$scratch"
fi

# The tarball a user installs (dist/ from the build before; built here when missing).
[ -f "$root/dist/src/index.js" ] || (cd "$root" && npm run build >/dev/null)
rm -rf "$scratch/pack" && mkdir -p "$scratch/pack"
(cd "$root" && npm pack --ignore-scripts --silent --pack-destination "$scratch/pack" >/dev/null)
tarball=$(ls "$scratch"/pack/*.tgz)

app="$scratch/app"
rm -rf "$app" && mkdir -p "$app"
echo '{ "name": "example-app", "private": true, "type": "module" }' > "$app/package.json"
cd "$app"
npm install --no-audit --no-fund --loglevel=error "$tarball" \
  @opentelemetry/api@1.10 @opentelemetry/sdk-node@0.301 openai@7 ai@7 @ai-sdk/openai@4 @ai-sdk/otel@1
v() { node -p "require('./node_modules/$1/package.json').version"; }
echo "testExampleApp: node $(node --version), $(basename "$tarball"), @opentelemetry/sdk-node $(v @opentelemetry/sdk-node), openai $(v openai), ai $(v ai), @ai-sdk/openai $(v @ai-sdk/openai), installed in $((SECONDS - started)) s"

# 1. One SDK copy: every installed copy `npm ls` finds (one folder each, deduped ones counted once).
npm ls --all --parseable @opentelemetry/sdk-trace @opentelemetry/sdk-trace-base @opentelemetry/api | grep /node_modules/ | sort -u > copies.txt || true
node - <<'JS'
const { readFileSync } = require('node:fs');
const copies = {};
for (const folder of readFileSync('copies.txt', 'utf8').split('\n').filter(Boolean)) {
  const { name, version } = JSON.parse(readFileSync(`${folder}/package.json`, 'utf8'));
  (copies[name] ??= []).push(`${version} at ${folder.slice(process.cwd().length + 1)}`);
}
const sdkNode = require('./node_modules/@opentelemetry/sdk-node/package.json');
const fail = (msg) => { console.error(`testExampleApp: ${msg}`); process.exit(1); };
if (!('@opentelemetry/sdk-trace' in sdkNode.dependencies)) fail(`sdk-node ${sdkNode.version} does not depend on @opentelemetry/sdk-trace: ${Object.keys(sdkNode.dependencies).join(', ')}`);
const trace = copies['@opentelemetry/sdk-trace'] ?? [];
if (trace.length !== 1 || !trace[0].startsWith('3.')) fail(`expected one copy of @opentelemetry/sdk-trace 3.x, npm ls shows: ${trace.join('; ') || 'none'}`);
if (copies['@opentelemetry/sdk-trace-base']) fail(`@opentelemetry/sdk-trace-base (the 2.x line) installed: ${copies['@opentelemetry/sdk-trace-base'].join('; ')}`);
// @ai-sdk/otel 1 pins its own api (1.9.x) as a dependency; every other package must share the app's one.
const api = (copies['@opentelemetry/api'] ?? []).filter((c) => !c.includes('node_modules/@ai-sdk/otel/'));
if (api.length !== 1 || !api[0].startsWith('1.10.')) fail(`expected one @opentelemetry/api 1.10 for the app, sdk-node and tollgate, npm ls shows: ${api.join('; ')}`);
console.log(`testExampleApp: npm ls: one @opentelemetry/sdk-trace (${trace[0]}), no sdk-trace-base, one @opentelemetry/api (${api[0]}) besides @ai-sdk/otel's own`);
JS

# 2. The app.
cp "$root"/scripts/exampleApp/*.mjs "$app/"
node --test app.test.mjs
echo "testExampleApp: passed in $((SECONDS - started)) s"
