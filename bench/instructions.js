// Instructions a call of benchmark 1b (the real `openai` client against the fake server in
// another process), counted by valgrind's callgrind: a count that does not depend on how busy
// the machine is, where CPU-time ratios on this shared host move by ±10 % between runs. Not
// part of `npm run bench` (it needs valgrind and takes minutes a variant).
//   node bench/instructions.js [variant ...]   (keys of NAMES in openaiClient.js; default: none contrib tollgate tollgateSqlite)
// Each variant runs twice under callgrind, side by side: WARM calls, and WARM then MEASURED calls;
// instructions a call = (count(WARM + MEASURED) − count(WARM)) / MEASURED, so start-up, module
// loading and the JIT's warm-up cancel out (WARM is past the ~4,000 calls V8 goes on optimising
// for, see WARM_CALLS in openaiClient.js). Only the measuring process is counted (the fake
// server is forked outside valgrind). Under valgrind a call runs about 50× slower: a variant
// takes about 6 minutes.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NAMES } from './openaiClient.js';

const here = dirname(fileURLToPath(import.meta.url));
const WARM = 4000;
const MEASURED = 1000;
const DEFAULT_VARIANTS = ['none', 'contrib', 'tollgate', 'tollgateSqlite'];

if (spawnSync('valgrind', ['--version']).status !== 0) {
  process.stderr.write('bench/instructions.js needs valgrind (Debian: apt-get install -y valgrind)\n');
  process.exit(2);
}

/** Total instructions (callgrind's "I refs") of one run of `calls` calls of variant `key`. */
function count(key, calls) {
  const args = ['--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null', process.execPath, join(here, 'lib', 'callsProcess.js'), key, String(calls), String(WARM)];
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const m = /I\s+refs:\s+([\d,]+)/.exec(err);
      if (code !== 0 || m === null) reject(new Error(`${key} (${calls} calls) exited ${code}:\n${err.slice(-2000)}`));
      else resolve(Number(m[1].replaceAll(',', '')));
    });
  });
}

const keys = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_VARIANTS;
for (const key of keys) if (NAMES[key] === undefined) throw new Error(`unknown variant ${key}; one of ${Object.keys(NAMES).join(', ')}`);
const perCall = {};
for (const key of keys) {
  const started = Date.now();
  process.stderr.write(`${key}: two runs under callgrind (${WARM} calls, and ${WARM} + ${MEASURED})...`);
  const [warm, measured] = await Promise.all([count(key, 0), count(key, MEASURED)]);
  perCall[key] = (measured - warm) / MEASURED;
  process.stderr.write(` ${Math.round((Date.now() - started) / 1000)} s\n`);
}
const base = perCall.contrib;
for (const key of keys) {
  const ratio = base === undefined ? '' : `, ${(perCall[key] / base).toFixed(2)}× contrib`;
  process.stdout.write(`${NAMES[key]}: ${(perCall[key] / 1e6).toFixed(2)} M instructions a call${ratio}\n`);
}
