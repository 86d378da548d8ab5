import { variant, NAMES } from './openaiClient.js';
import { Session } from 'node:inspector/promises';
import { writeFileSync, mkdirSync } from 'node:fs';
const name = NAMES[process.argv[2]];
const v = await variant(name);
for (let i = 0; i < 500; i++) await v.fn();
await v.endBatch?.();
const N = Number(process.argv[3] ?? 3000);
const out = process.argv[4];
let s;
if (out) { s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.setSamplingInterval', { interval: 100 }); await s.post('Profiler.start'); }
v.beforeBatch();
const t0 = performance.now();
for (let i = 0; i < N; i++) { await v.fn(); if (i % 100 === 99) { await v.endBatch?.(); } }
await v.endBatch?.();
const e = v.afterBatch();
if (out) { const { profile } = await s.post('Profiler.stop'); mkdirSync(out, { recursive: true }); writeFileSync(out + '/p.cpuprofile', JSON.stringify(profile)); }
console.log(process.argv[2], 'cpu us/call', (e.cpuNs / N / 1000).toFixed(1), 'wall us/call', ((performance.now() - t0) * 1000 / N).toFixed(1));
await v.close();
process.exit(0);
