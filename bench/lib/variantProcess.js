// One benchmark variant in a process of its own: set up once, then timed batch by batch as
// the parent asks over the IPC channel (see isolated.js).
//   forked as: node bench/lib/variantProcess.js <module under bench/> <variant name> <args JSON>
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [modulePath, name, argsJson] = process.argv.slice(2);
const mod = await import(pathToFileURL(join(here, '..', modulePath)).href);
const v = await mod.variant(name, JSON.parse(argsJson ?? '{}'));

async function timeBatch(n) {
  const fn = v.fn;
  const start = process.hrtime.bigint();
  if (v.sync === true) for (let i = 0; i < n; i++) fn(i);
  else for (let i = 0; i < n; i++) await fn(i);
  return Number(process.hrtime.bigint() - start) / n;
}

process.on('message', async (msg) => {
  try {
    if (msg.type === 'batch') {
      const ns = await timeBatch(msg.batch);
      if (v.between !== undefined) await v.between();
      process.send({ ns });
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
