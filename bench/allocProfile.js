// What a real call allocates, and where; a profiling helper, not part of `npm run bench`:
//   node bench/allocProfile.js [variant] [calls]
// variant: a key of openaiClient.js NAMES (default tollgateSqlite; contrib for the baseline).
// Runs benchmark 1b's variant in this process (the real `openai` client against the fake server
// in another process), warms it up as 1b does, then records `calls` calls (default 3,000) with
// V8's sampling heap profiler (a sample every 256 bytes allocated, objects the collector has
// freed since included) and prints:
//   - bytes allocated a call, and by where the allocating code comes from (tollgate's build, the
//     contrib instrumentation, the OTel SDK and API, the openai client, Node and undici);
//   - the functions of tollgate's build and of the OTel SDK and API that allocate most, a call.
// Allocation varies far less from run to run than CPU time on this VM, and every byte is paid
// twice: when it is allocated and when the collector reclaims it (1b's profile shows the
// collector's share).
// TOLLGATE_BENCH_DIST picks another build (see lib/dist.js).
import { Session } from 'node:inspector/promises';
import { DIST } from './lib/dist.js';
import { sourceOf } from './lib/sourceOf.js';
import { warmedVariant } from './openaiClient.js';

const { name, calls, batch, close } = await warmedVariant('allocProfile', 3000);

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
await batch(calls);
const { profile } = await session.post('HeapProfiler.stopSampling');
session.disconnect();
await close();

const distUrl = new URL(`file://${DIST}/`).href;
const bySource = new Map();
const byFunction = new Map();
let total = 0;
const walk = (node) => {
  const { url, functionName, lineNumber } = node.callFrame;
  const source = sourceOf(url, functionName, distUrl);
  total += node.selfSize;
  bySource.set(source, (bySource.get(source) ?? 0) + node.selfSize);
  if (source === "tollgate's build" || source === 'OTel SDK and API') {
    const name = `${url.replace(/^.*\/(dist|node_modules)\//, '')}:${lineNumber + 1} ${functionName || '(anonymous)'}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
  }
  for (const child of node.children) walk(child);
};
walk(profile.head);
const perCall = (bytes) => `${Math.round(bytes / calls).toLocaleString('en-US')} B`;
const lines = [
  `variant: ${name}; build ${DIST}`,
  `allocated a call: ${perCall(total)}`,
  'by where the allocating code comes from:',
  ...[...bySource].sort((a, b) => b[1] - a[1]).map(([source, bytes]) => `  ${perCall(bytes).padStart(10)}  ${((bytes / total) * 100).toFixed(1).padStart(5)} %  ${source}`),
  "tollgate's and the OTel SDK's functions, self (largest 25):",
  ...[...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([name, bytes]) => `  ${perCall(bytes).padStart(10)}  ${name}`),
];
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
