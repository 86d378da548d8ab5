#!/usr/bin/env bash
# Runs tollgate's built package against the OpenTelemetry SDK 3.x line (sdk-node 0.3xx, core /
# sdk-trace / sdk-metrics / resources 3.x, api 1.10), the way a service on that line installs it:
# the SDK packages are the host's, tollgate brings none of its own.
#
#   scripts/testOtel3.sh            # scratch folder in a temp dir, removed at the end
#   OTEL3_DIR=/tmp/otel3 scripts/testOtel3.sh   # reuse (or create) that folder; it is kept
#
# The SDK 3.x line needs Node >= 22.15: run it with that node first on PATH (CI: the Node 24 leg).
# Needs the npm registry once, to install the 3.x packages into the scratch folder.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if ! node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 22 || (major === 22 && minor >= 15) ? 0 : 1)'; then
  echo "testOtel3: the OpenTelemetry SDK 3.x line needs Node >= 22.15 (this is $(node --version)); run it with Node 22.15+ or 24 first on PATH" >&2
  exit 2
fi

if [ -z "${OTEL3_DIR:-}" ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
else
  scratch=$OTEL3_DIR
  mkdir -p "$scratch"
fi

# The service: the SDK 3.x line, installed as a service on it would.
if [ ! -f "$scratch/node_modules/@opentelemetry/sdk-node/package.json" ] ||
   ! node -e 'process.exit(require(process.argv[1]).version.startsWith("0.3") ? 0 : 1)' "$scratch/node_modules/@opentelemetry/sdk-node/package.json"; then
  [ -f "$scratch/package.json" ] || echo '{ "name": "otel3-service", "private": true }' > "$scratch/package.json"
  (cd "$scratch" && npm install --no-audit --no-fund --loglevel=error \
    @opentelemetry/api@1.10 @opentelemetry/sdk-node@0.301 @opentelemetry/core@3 @opentelemetry/sdk-trace@3 \
    @opentelemetry/sdk-metrics@3 @opentelemetry/resources@3)
fi

# tollgate as installed from its package: the files it ships, its own (non-OTel) dependencies.
[ -f "$root/dist/src/index.js" ] || (cd "$root" && npm run build >/dev/null)
pkg="$scratch/node_modules/tollgate"
rm -rf "$pkg"
mkdir -p "$pkg/node_modules"
cp -R "$root/package.json" "$root/dist" "$root/cjs" "$root/data" "$pkg/"
for dep in $(node -p 'const p = require(process.argv[1]); Object.keys({ ...p.dependencies, ...p.optionalDependencies }).join(" ")' "$root/package.json"); do
  mkdir -p "$(dirname "$pkg/node_modules/$dep")"
  ln -s "$root/node_modules/$dep" "$pkg/node_modules/$dep"
done
# What the checks use besides: the openai client (against tollgate's fake server), TypeScript, Node's types and
# better-sqlite3's (tollgate's declarations name its Database type; a TypeScript consumer needs them today).
for dev in openai typescript @types/node @types/better-sqlite3; do
  mkdir -p "$(dirname "$scratch/node_modules/$dev")"
  [ -e "$scratch/node_modules/$dev" ] || ln -s "$root/node_modules/$dev" "$scratch/node_modules/$dev"
done

cp "$root"/scripts/otel3/*.test.mjs "$scratch/"
cat > "$scratch/consumer.ts" <<'TS'
// A TypeScript service on OpenTelemetry SDK 3.x: tollgate's processor and sampler fit its NodeSDK
// and TracerProvider types (checked by scripts/testOtel3.sh with tsc, nothing is run).
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { createTollgate, tollgateSampler } from 'tollgate';

const tollgate = createTollgate({ store: 'memory:' });
const sampler = tollgateSampler(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }));
export const sdk = new NodeSDK({ spanProcessors: [tollgate.spanProcessor], sampler });
export const provider = new TracerProvider({ spanProcessors: [tollgate.spanProcessor], sampler });
TS

cd "$scratch"
echo "testOtel3: node $(node --version), @opentelemetry/sdk-node $(node -p 'require("./node_modules/@opentelemetry/sdk-node/package.json").version'), api $(node -p 'require("./node_modules/@opentelemetry/api/package.json").version')"
# A TypeScript service on SDK 3.x type-checks against tollgate's declarations (the library's own checked too).
node node_modules/typescript/bin/tsc --noEmit --strict --module nodenext --moduleResolution nodenext --target es2022 --types node consumer.ts
TOLLGATE_ROOT="$root" node --test ./*.test.mjs
