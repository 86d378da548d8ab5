// Where tollgate's time goes inside a real call; a profiling helper, not part of `npm run bench`:
//   node bench/callProfile.js [variant] [calls]
// variant: a key of openaiClient.js NAMES (default tollgateSqlite; contrib for the baseline).
// Runs benchmark 1b's variant in this process (the real `openai` client against the fake server
// in another process), warms it up as 1b does, then samples `calls` calls (default 6,000) with
// V8's CPU profiler every 50 µs and prints:
//   - CPU time a call (process.cpuUsage; the profiler's own cost included, so higher than 1b's);
//   - self time a call by where the code comes from (tollgate's build, the contrib instrumentation,
//     the OTel SDK and API, the openai client, Node and undici, the garbage collector);
//   - inclusive time a call of tollgate's functions (every sample whose stack holds the function,
//     once per sample), the 30 largest: what each step of the call path costs where it runs,
//     between the client's own work, rather than in a loop of its own, where the same code runs
//     several times faster (its code and data stay in the caches).
// TOLLGATE_BENCH_DIST picks another build (see lib/dist.js); TOLLGATE_PROFILE_OUT=<file> also
// writes the profile (open it in Chrome DevTools' Performance panel).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { DIST } from './lib/dist.js';
import { sourceOf } from './lib/sourceOf.js';
import { warmedVariant } from './openaiClient.js';

const { name, calls, batch, close } = await warmedVariant('callProfile', 6000);

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });
await session.post('Profiler.start');
const cpu0 = process.cpuUsage();
await batch(calls);
const cpu = process.cpuUsage(cpu0);
const { profile } = await session.post('Profiler.stop');
session.disconnect();
await close();
if (process.env.TOLLGATE_PROFILE_OUT !== undefined) writeFileSync(process.env.TOLLGATE_PROFILE_OUT, JSON.stringify(profile));

const distUrl = new URL(`file://${DIST}/`).href;
const parent = new Map();
const byId = new Map();
for (const node of profile.nodes) {
  byId.set(node.id, node);
  for (const child of node.children ?? []) parent.set(child, node.id);
}
const own = (node) => node.callFrame.url.startsWith(distUrl);
const label = (node) => `${node.callFrame.url.slice(distUrl.length)} ${node.callFrame.functionName || '(anonymous)'}`;
let busyUs = 0;
const byGroup = new Map();
const inclusive = new Map();
profile.samples.forEach((id, i) => {
  const us = profile.timeDeltas[i] ?? 0;
  const leaf = byId.get(id);
  if (leaf.callFrame.functionName === '(idle)' || leaf.callFrame.functionName === '(program)') return;
  busyUs += us;
  const group = sourceOf(leaf.callFrame.url, leaf.callFrame.functionName, distUrl);
  byGroup.set(group, (byGroup.get(group) ?? 0) + us);
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const node = byId.get(n);
    if (!own(node)) continue;
    const name = label(node);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
});
const perCall = (us) => `${(us / calls).toFixed(1)} µs`;
const lines = [
  `variant: ${name}; build ${DIST}`,
  `CPU a call: ${perCall(cpu.user + cpu.system)} (profiler running); sampled busy time a call: ${perCall(busyUs)}`,
  'self time a call, by where the code comes from:',
  ...[...byGroup].sort((a, b) => b[1] - a[1]).map(([group, us]) => `  ${perCall(us).padStart(9)}  ${((us / busyUs) * 100).toFixed(1).padStart(5)} %  ${group}`),
  'inclusive time a call of tollgate functions (largest 30):',
  ...[...inclusive]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 30)
    .map(([name, us]) => `  ${perCall(us).padStart(9)}  ${name}`),
];
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
