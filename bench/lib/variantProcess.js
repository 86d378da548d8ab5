// One benchmark variant in a process of its own: set up once, then timed batch by batch as
// the parent asks over the IPC channel (see isolated.js). Optional hooks of a variant:
// endBatch() (timed, once at the end of each batch), and, untimed, beforeBatch(), afterBatch()
// (its answer goes back with the batch time), between(), report() and close().
//   forked as: node bench/lib/variantProcess.js <module under bench/> <variant name> <args JSON>
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [modulePath, name, argsJson] = process.argv.slice(2);
const mod = await import(pathToFileURL(join(here, '..', modulePath)).href);
const args = JSON.parse(argsJson ?? '{}');
const v = await mod.variant(args.variantOf?.[name] ?? name, args);

async function timeBatch(n) {
  const fn = v.fn;
  const start = process.hrtime.bigint();
  if (v.sync === true) for (let i = 0; i < n; i++) fn(i);
  else for (let i = 0; i < n; i++) await fn(i);
  if (v.endBatch !== undefined) await v.endBatch();
  return Number(process.hrtime.bigint() - start) / n;
}

process.on('message', async (msg) => {
  try {
    if (msg.type === 'batch') {
      if (v.beforeBatch !== undefined) await v.beforeBatch();
      const ns = await timeBatch(msg.batch);
      const extra = v.afterBatch !== undefined ? await v.afterBatch() : undefined;
      if (v.between !== undefined) await v.between();
      process.send({ ns, extra });
    } else if (msg.type === 'finish') {
      const extra = v.report !== undefined ? await v.report() : undefined;
      if (v.close !== undefined) await v.close();
      process.send({ extra }, () => process.exit(0));
    }
  } catch (err) {
    process.send({ error: err instanceof Error ? err.stack : String(err) });
  }
});
process.send({ ready: true });
// The parent gone (an interrupted run): exit rather than wait for batches that never come.
process.on('disconnect', () => process.exit(0));
