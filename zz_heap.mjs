import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { variant, NAMES } from '/work/main/bench/openaiClient.js';
const v = await variant(NAMES[process.argv[2]]);
for (let i = 0; i < 5000; i++) await v.fn();
if (v.endBatch) await v.endBatch();
const s = new Session(); s.connect();
await s.post('HeapProfiler.enable');
await s.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const n = 3000;
for (let i = 0; i < n; i += 100) { for (let j = 0; j < 100; j++) await v.fn(); if (v.endBatch) await v.endBatch(); if (v.between) await v.between(); }
const { profile } = await s.post('HeapProfiler.stopSampling');
// self bytes per function (url:line)
const agg = new Map(); let total = 0;
(function walk(node) { const f = node.callFrame; const self = node.selfSize; total += self; const u = f.url.replace('file:///work/main/', ''); const key = `${f.functionName || '(anon)'} ${u.split('/').slice(-3).join('/')}:${f.lineNumber}`; agg.set(key, (agg.get(key) ?? 0) + self); for (const c of node.children) walk(c); })(profile.head);
console.log(process.argv[2], 'sampled bytes per call', (total / n / 1024).toFixed(1), 'KB');
const byFile = new Map();
for (const [k, b] of agg) { const file = k.split(' ')[1]?.split(':')[0] ?? '?'; byFile.set(file, (byFile.get(file) ?? 0) + b); }
writeFileSync(`/tmp/gcm/heap-${process.argv[2]}.json`, JSON.stringify([...agg].sort((a, b) => b[1] - a[1])));
for (const [k, b] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 25))) console.log((b / n).toFixed(0).padStart(7), 'B/call', k);
await v.close(); process.exit(0);
