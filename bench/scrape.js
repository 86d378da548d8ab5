// Benchmark 3: GET /metrics over HTTP (tollgate.serve on 127.0.0.1, port 0) with 10,000
// series vs an empty registry. Two shapes of 10k: 10,000 task series (task cap raised to
// 10,000, one model) and 10,000 provider/model pairs (each pair makes several series).
import { compare } from './lib/measure.js';
import { makeTollgate } from './lib/setup.js';

function record(i, provider, model, task) {
  const r = {
    id: `r${i}`, time: Date.now(), traceId: 't', spanId: 's', provider, model, operation: 'chat',
    inputTokens: 12, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0,
    costNanos: 25_800, status: 'ok',
  };
  if (task !== undefined) r.task = task;
  return r;
}

async function scrape(url) {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return text;
}

function seriesCount(text) {
  let n = 0;
  for (const line of text.split('\n')) if (line !== '' && !line.startsWith('#')) n++;
  return n;
}

export async function runScrape() {
  const N = 10_000;
  const empty = makeTollgate();
  const tasks = makeTollgate({ metrics: { taskSeriesCap: N } });
  const models = makeTollgate();
  for (let i = 0; i < N; i++) tasks.tollgate.metrics.recordUsage(record(i, 'openai', 'gpt-4o-mini', `task-${i}`), 0.5);
  for (let i = 0; i < N; i++) models.tollgate.metrics.recordUsage(record(i, `provider-${i % 100}`, `model-${i}`), 0.5);
  const servers = [];
  try {
    const [e, t, m] = await Promise.all([empty, tasks, models].map((x) => x.tollgate.serve({ port: 0, host: '127.0.0.1' })));
    servers.push(e, t, m);
    const counts = { empty: seriesCount(await scrape(e.url)), tasks: seriesCount(await scrape(t.url)), models: seriesCount(await scrape(m.url)) };
    const results = await compare(
      [
        { name: 'empty registry', fn: () => scrape(e.url) },
        { name: '10,000 task series', fn: () => scrape(t.url) },
        { name: '10,000 provider/model pairs', fn: () => scrape(m.url) },
      ],
      { rounds: 7, batch: 1, warmup: 1 },
    );
    const bytes = { tasks: (await scrape(t.url)).length, models: (await scrape(m.url)).length };
    return { results, counts, bytes };
  } finally {
    for (const s of servers) await s.close();
    for (const x of [empty, tasks, models]) await x.shutdown();
  }
}
