// Your own agent loop: wrappers for calls, tools, memory and contract checks; /metrics; a report.
import { createTollgate, renderMarkdown, buildReportData } from 'tollgate';

const tollgate = createTollgate({ store: 'memory:', budgets: [{ scope: 'session', maxUsd: 1, onExceed: 'warn' }] });
tollgate.start({ exporter: 'none' }); // no OTel yet in this process: NodeSDK with tollgate inside ('otlp' sends to OTEL_EXPORTER_OTLP_ENDPOINT)
const server = await tollgate.serve({ port: 0 }); // /metrics, /healthz, /v1/usage, /v1/budgets, /v1/traces, /v1/events
tollgate.on('budget_exceeded', (e) => console.log(`${e.action}: ${e.scope} budget at $${e.spentUsd.toFixed(4)}`));

interface MyReply {
  text: string;
  usage: { input: number; output: number };
  model: string;
}

async function callMyModel(model: string, prompt: string): Promise<MyReply> {
  // Any client: report the usage the provider returned.
  return { text: `echo: ${prompt}`, usage: { input: 12, output: 300 }, model };
}

await tollgate.session('S-1', () =>
  tollgate.task('T-42', () =>
    tollgate.agent('researcher', async () => {
      const notes = tollgate.memory('read', () => ['earlier note'], { store: 'notes' });
      const reply = await tollgate.llm(
        { model: 'claude-sonnet-4', maxTokens: 400, input: [{ role: 'user', content: `Use ${notes.length} notes` }], usage: (r: MyReply) => r.usage },
        (call) => callMyModel(call.model, 'summarise the notes'),
      );
      const hits = await tollgate.tool('web_search', async () => ['a', 'b']);
      tollgate.contract('reply-not-empty', () => reply.text.length > 0);
      tollgate.memory('write', () => notes.push(reply.text), { store: 'notes' });
      return hits;
    }),
  ),
);

const metrics = await (await fetch(`${server.url}/metrics`)).text();
console.log(metrics.split('\n').find((l) => l.startsWith('cost_total_usd ')));
const report = await buildReportData({ ledger: tollgate.ledger, budgetStatus: () => tollgate.budgets.status(), now: Date.now(), sessionId: 'S-1' });
console.log(renderMarkdown(report).split('\n').slice(0, 8).join('\n'));
await tollgate.shutdown();
