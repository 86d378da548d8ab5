#!/usr/bin/env bash
# The Node 24 leg of the CI matrix: the whole unit and integration suite (vitest) on Node 24 against
# the OpenTelemetry SDK 3.x line and openai 7, in a copy of the checkout. The copy's package.json
# names the 3.x line (sdk-node 0.301, sdk-trace / sdk-metrics / core / resources /
# context-async-hooks 3.x, the 0.301 OTLP exporters and instrumentation, api 1.10,
# instrumentation-openai 0.22) and openai 7 in place of the 2.x line and openai 6, and drops
# @opentelemetry/sdk-trace-base (the 2.x line's trace SDK; the 3.x line has none). `npm install`
# there replaces just those packages; the versions installed are then checked (`npm ls`, each
# package.json) before vitest runs. The checkout itself is not changed.
#
#   scripts/testNode24Matrix.sh                        # copy in a temp dir, removed at the end
#   NODE24_MATRIX_DIR=/tmp/m scripts/testNode24Matrix.sh  # use (or create) that folder; it is kept
#   scripts/testNode24Matrix.sh test/traces            # vitest arguments (files, filters) pass through
#
# Needs Node >= 22.15 first on PATH (CI: the Node 24 leg) and the npm registry. better-sqlite3 is
# rebuilt in the copy when the checkout's binary is not for this node, against that node's headers:
# npm_config_nodedir, else TOLLGATE_NODE24_HOME, else the node's own prefix (no download).
# TOLLGATE_AI7_DIR, when set, is passed on (the AI SDK 7 test); the openai 7 test uses the copy's openai.
set -euo pipefail
started=$SECONDS
root=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "testNode24Matrix: $*"; }
fail() { echo "testNode24Matrix: $*" >&2; exit 1; }

if ! node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 22 || (major === 22 && minor >= 15) ? 0 : 1)'; then
  echo "testNode24Matrix: sdk-node 0.301 and openai 7 need Node >= 22.15 (this is $(node --version)); run it with Node 24 first on PATH" >&2
  exit 2
fi
if [ -z "${npm_config_nodedir:-}" ]; then
  prefix=${TOLLGATE_NODE24_HOME:-$(node -p 'require("node:path").resolve(process.execPath, "../..")')}
  if [ -d "$prefix/include/node" ]; then export npm_config_nodedir=$prefix; fi
fi

# The matrix's second line. Exact versions, so a run is repeatable; raise them together.
OTEL_API=1.10.0
OTEL_STABLE=3.1.1        # core, resources, sdk-trace, sdk-metrics, context-async-hooks
OTEL_EXPERIMENTAL=0.301.2 # sdk-node, instrumentation, the OTLP exporters
OTEL_INSTRUMENTATION_OPENAI=0.22.0
OPENAI=7.60.0

if [ -z "${NODE24_MATRIX_DIR:-}" ]; then
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-node24.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
else
  scratch=$NODE24_MATRIX_DIR
  mkdir -p "$scratch"
fi
copy="$scratch/tollgate"

# The copy: the working tree (without .git and the local ledgers) and its node_modules, as they are.
say "copying $root to $copy"
rm -rf "$copy" && mkdir -p "$copy"
tar -C "$root" --exclude=./.git --exclude=./.tollgate --exclude=./node_modules -cf - . | tar -C "$copy" -xf -
[ -d "$root/node_modules" ] || fail "no node_modules in $root: run npm ci first"
cp -a "$root/node_modules" "$copy/node_modules"

# The copy's package.json names the 3.x line and openai 7.
node - "$copy/package.json" "$OTEL_API" "$OTEL_STABLE" "$OTEL_EXPERIMENTAL" "$OTEL_INSTRUMENTATION_OPENAI" "$OPENAI" <<'JS'
const { readFileSync, writeFileSync } = require('node:fs');
const [file, api, stable, experimental, instrumentationOpenai, openai] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(file, 'utf8'));
const dev = pkg.devDependencies;
const want = {
  '@opentelemetry/api': api,
  '@opentelemetry/context-async-hooks': stable,
  '@opentelemetry/core': stable,
  '@opentelemetry/resources': stable,
  '@opentelemetry/sdk-metrics': stable,
  '@opentelemetry/sdk-trace': stable,
  '@opentelemetry/sdk-node': experimental,
  '@opentelemetry/instrumentation': experimental,
  '@opentelemetry/exporter-metrics-otlp-http': experimental,
  '@opentelemetry/exporter-metrics-otlp-proto': experimental,
  '@opentelemetry/exporter-trace-otlp-http': experimental,
  '@opentelemetry/exporter-trace-otlp-proto': experimental,
  '@opentelemetry/instrumentation-openai': instrumentationOpenai,
  openai,
};
for (const [name, version] of Object.entries(want)) {
  if (!(name in dev)) throw new Error(`package.json has no devDependency ${name}: update scripts/testNode24Matrix.sh's list`);
  dev[name] = version;
}
delete dev['@opentelemetry/sdk-trace-base'];
// Every other @opentelemetry devDependency must be on the list (or be a line-independent package).
const left = Object.keys(dev).filter((n) => n.startsWith('@opentelemetry/') && !(n in want));
if (left.length > 0) throw new Error(`devDependencies not moved to the 3.x line: ${left.join(', ')}: add them to scripts/testNode24Matrix.sh`);
writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
JS

say "npm install in the copy (node $(node --version), npm $(npm --version))"
install_start=$SECONDS
(cd "$copy" && npm install --no-audit --no-fund --loglevel=error --ignore-scripts >"$scratch/install.log" 2>&1) || { tail -40 "$scratch/install.log" >&2; fail "npm install in the copy failed"; }
say "installed in $((SECONDS - install_start)) s"

# better-sqlite3 for this node (the copy keeps the checkout's binary when it is already this node's).
if ! (cd "$copy" && node -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null); then
  say "rebuilding better-sqlite3 for $(node --version) (nodedir ${npm_config_nodedir:-none})"
  (cd "$copy" && npm rebuild better-sqlite3 >"$scratch/rebuild.log" 2>&1) || { tail -40 "$scratch/rebuild.log" >&2; fail "better-sqlite3 did not build for $(node --version)"; }
  (cd "$copy" && node -e "new (require('better-sqlite3'))(':memory:').close()") || fail "better-sqlite3 still does not load on $(node --version)"
fi

# The versions installed: one copy of each SDK package on the 3.x line, none of the 2.x line, openai 7.
(cd "$copy" && npm ls --all --parseable \
  @opentelemetry/api @opentelemetry/core @opentelemetry/resources @opentelemetry/sdk-trace @opentelemetry/sdk-trace-base \
  @opentelemetry/sdk-trace-node @opentelemetry/sdk-metrics @opentelemetry/sdk-logs @opentelemetry/sdk-node \
  @opentelemetry/context-async-hooks @opentelemetry/instrumentation openai 2>/dev/null | grep /node_modules/ | sort -u >"$scratch/copies.txt") || true
node - "$copy" "$scratch/copies.txt" "$OTEL_API" "$OTEL_STABLE" "$OTEL_EXPERIMENTAL" "$OPENAI" <<'JS'
const { readFileSync } = require('node:fs');
const [copy, list, api, stable, experimental, openai] = process.argv.slice(2);
const copies = {};
for (const folder of readFileSync(list, 'utf8').split('\n').filter(Boolean)) {
  const { name, version } = JSON.parse(readFileSync(`${folder}/package.json`, 'utf8'));
  (copies[name] ??= []).push({ version, at: folder.slice(copy.length + 1) });
}
const problems = [];
const show = (name) => (copies[name] ?? []).map((c) => `${c.version} at ${c.at}`).join('; ') || 'none';
const exactlyOne = (name, version) => {
  const found = copies[name] ?? [];
  if (found.length !== 1 || found[0].version !== version || found[0].at !== `node_modules/${name}`) problems.push(`${name}: expected one copy, ${version} at node_modules/${name}; npm ls shows ${show(name)}`);
};
exactlyOne('@opentelemetry/api', api);
for (const name of ['core', 'resources', 'sdk-trace', 'sdk-metrics', 'sdk-logs', 'context-async-hooks']) exactlyOne(`@opentelemetry/${name}`, stable);
exactlyOne('@opentelemetry/sdk-node', experimental);
// instrumentation-openai 0.22 (the newest) asks for instrumentation ^0.300.0, which 0.301 does not meet: it keeps
// its own 0.300 copy. The top-level one (sdk-node's, and what tollgate's tests load) must be 0.301.
const instrumentation = copies['@opentelemetry/instrumentation'] ?? [];
const instrumentationTop = instrumentation.find((c) => c.at === 'node_modules/@opentelemetry/instrumentation');
if (instrumentationTop?.version !== experimental) problems.push(`@opentelemetry/instrumentation: expected ${experimental} at node_modules/@opentelemetry/instrumentation; npm ls shows ${show('@opentelemetry/instrumentation')}`);
const instrumentationStrays = instrumentation.filter((c) => c !== instrumentationTop && !c.at.startsWith('node_modules/@opentelemetry/instrumentation-openai/'));
if (instrumentationStrays.length > 0) problems.push(`@opentelemetry/instrumentation: unexpected further copies: ${instrumentationStrays.map((c) => `${c.version} at ${c.at}`).join('; ')}`);
for (const name of ['@opentelemetry/sdk-trace-base', '@opentelemetry/sdk-trace-node']) if (copies[name]) problems.push(`${name} (the 2.x line) is installed: ${show(name)}`);
// openai: tollgate's tests load the top-level copy (7). @langchain/openai pins its own openai 6 as a
// dependency (not a peer), and its ChatOpenAI uses that one; no other nested copy is expected.
const openaiCopies = copies.openai ?? [];
const top = openaiCopies.find((c) => c.at === 'node_modules/openai');
if (top?.version !== openai) problems.push(`openai: expected ${openai} at node_modules/openai; npm ls shows ${show('openai')}`);
const strays = openaiCopies.filter((c) => c !== top && c.at !== 'node_modules/@langchain/openai/node_modules/openai');
if (strays.length > 0) problems.push(`openai: unexpected further copies: ${strays.map((c) => `${c.version} at ${c.at}`).join('; ')}`);
if (problems.length > 0) {
  console.error(`testNode24Matrix: the copy does not have the versions intended:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
const v = (name) => copies[name][0].version;
console.log(
  `testNode24Matrix: installed (one copy each): @opentelemetry/api ${v('@opentelemetry/api')}, sdk-node ${v('@opentelemetry/sdk-node')}, ` +
    `sdk-trace ${v('@opentelemetry/sdk-trace')}, sdk-metrics ${v('@opentelemetry/sdk-metrics')}, sdk-logs ${v('@opentelemetry/sdk-logs')}, ` +
    `core ${v('@opentelemetry/core')}, resources ${v('@opentelemetry/resources')}, context-async-hooks ${v('@opentelemetry/context-async-hooks')}, ` +
    `instrumentation ${v('@opentelemetry/instrumentation')}; no sdk-trace-base; openai ${top.version}` +
    (openaiCopies.length > 1 ? ` (and @langchain/openai's own ${openaiCopies.find((c) => c !== top).version})` : ''),
);
JS

# dist/ built again in the copy: tsc checks src against the 3.x line's type declarations, and the CLI,
# examples and packing tests run that build.
say "npm run build in the copy (tsc against the 3.x line's types)"
build_start=$SECONDS
(cd "$copy" && npm run build >"$scratch/build.log" 2>&1) || { tail -40 "$scratch/build.log" >&2; fail "npm run build in the copy failed"; }
say "built in $((SECONDS - build_start)) s"

say "vitest on node $(node --version) with the OTel SDK 3.x line and openai 7"
vitest_start=$SECONDS
status=0
(cd "$copy" && TOLLGATE_OPENAI7_DIR="$copy" node node_modules/vitest/vitest.mjs run "$@") || status=$?
say "vitest took $((SECONDS - vitest_start)) s; the leg $((SECONDS - started)) s"
[ "$status" -eq 0 ] || fail "vitest failed on node $(node --version) with the OTel SDK 3.x line and openai 7 (exit $status)"
say "passed"
