// Runs one variant of benchmark 1b (bench/openaiClient.js) for a fixed number of calls, for
// bench/instructions.js to count under callgrind: WARM calls untimed, then `calls` calls with
// the batch's settlements committed every 100 and the store pruned as in 1b. The exit code is
// 0 only when every call succeeded.
//   node bench/lib/callsProcess.js <variant key of NAMES> <calls> <warm-up calls>
import { NAMES, variant } from '../openaiClient.js';

const [key, callsArg, warmArg] = process.argv.slice(2);
const name = NAMES[key];
if (name === undefined) throw new Error(`unknown variant ${key}; one of ${Object.keys(NAMES).join(', ')}`);
const v = await variant(name, {});
for (let i = 0; i < Number(warmArg); i++) await v.fn();
await v.endBatch?.();
await v.between?.();
const calls = Number(callsArg);
for (let i = 0; i < calls; i++) {
  await v.fn();
  if (i % 100 === 99) {
    await v.endBatch?.();
    await v.between?.();
  }
}
await v.endBatch?.();
await v.close();
process.exit(0);
