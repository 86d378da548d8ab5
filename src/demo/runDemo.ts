import { mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { instrumentAnthropic } from '../../instrumentations/anthropic/index.js';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import type { BudgetSpec } from '../core/Budget.js';
import { BudgetExceededError } from '../core/BudgetExceededError.js';
import { createTollgate, type Tollgate } from '../createTollgate.js';
import { buildReportData } from '../report/buildReportData.js';
import type { ReportData } from '../report/ReportData.js';
import { renderMarkdown } from '../report/renderMarkdown.js';
import { startFakeAnthropic } from './fakes/startFakeAnthropic.js';
import { startFakeOpenAI } from './fakes/startFakeOpenAI.js';

export interface DemoOptions {
  /** Fewer tasks and no simulated latency (tests, CI). Default false. */
  fast?: boolean;
  /** Port for /metrics and the API. Default 9464; 0 picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Keep serving /metrics this many seconds after the run (for a Prometheus to scrape). Default 0. */
  holdSeconds?: number;
  /** The SQLite ledger. Default .tollgate/demo.db (replaced on every run). */
  dbPath?: string;
  /** Progress lines (default: stderr). */
  progress?: (line: string) => void;
  /** Stops a hold early (SIGINT in the CLI). */
  signal?: AbortSignal;
}

export interface DemoResult {
  report: ReportData;
  markdown: string;
  metricsUrl: string;
  /** Series seen when the demo scraped its own /metrics during the run. */
  scrapedSeries: number;
  decisions: { warned: number; fallbacks: number; denied: number };
}

/** The demo's budgets, sized against the simulated agent's spend so that each action fires. */
export const DEMO_BUDGETS: BudgetSpec[] = [
  { id: 'daily-cap', scope: 'daily', maxUsd: 0.032, onExceed: 'deny' },
  { id: 'task-cap', scope: 'task', provider: 'openai', maxUsd: 0.006, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' },
  { id: 'session-watch', scope: 'session', maxUsd: 0.015, onExceed: 'warn' },
];

const SESSION = 'demo-session';
// About 1,600 tokens, as many as the fake provider reports cached for it.
const SYSTEM_PROMPT = 'You are a careful research analyst. '.repeat(230);
// Who asked for each task: the attribution panel and `usage --by user|team` break spend down by them.
const REQUESTERS = [
  { user: 'alice', team: 'research' },
  { user: 'bob', team: 'research' },
  { user: 'carol', team: 'growth' },
];
const TOPICS = [
  'vector database pricing',
  'GPU spot market trends',
  'open-weight model licences',
  'agent evaluation methods',
  'prompt caching economics',
  'token budget policies',
  'LLM observability tools',
  'retrieval quality metrics',
];

/**
 * Drives a simulated research agent through tollgate: fake OpenAI and Anthropic servers in
 * this process, the real SDK clients instrumented by tollgate, the embedded SQLite ledger,
 * budgets that warn, fall back and deny, /metrics served throughout, and a spend report.
 * No network, no API keys.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const fast = options.fast ?? false;
  const tasks = fast ? 6 : TOPICS.length;
  const delayMs = fast ? 0 : 4;
  const dbPath = resolve(options.dbPath ?? '.tollgate/demo.db');
  mkdirSync(dirname(dbPath), { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });

  const openaiFake = await startFakeOpenAI({ outputTokens: 120, chunkDelayMs: delayMs });
  // A reasoning model: part of its output is reasoning tokens (priced as output, counted apart).
  const reasoningFake = await startFakeOpenAI({ outputTokens: 60, reasoningTokens: 40 });
  const anthropicFake = await startFakeAnthropic({ outputTokens: 180, chunkDelayMs: delayMs });
  const tollgate = createTollgate({
    store: `sqlite:${dbPath}`,
    configFile: false,
    budgets: DEMO_BUDGETS,
    rateLimits: { openai: { rpm: 600, tpm: 2_000_000 }, anthropic: { rpm: 300, tpm: 1_000_000 } },
    otel: { serviceName: 'tollgate-demo', exporter: process.env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined ? 'otlp' : 'none' },
    // The demo prints its own line per decision; TOLLGATE_LOG_LEVEL=info shows tollgate's log lines too.
    ...(process.env.TOLLGATE_LOG_LEVEL === undefined ? { log: { level: 'off' as const } } : {}),
  });
  const decisions = { warned: 0, fallbacks: 0, denied: 0 };
  const warnedOnce = new Set<string>();
  tollgate.on('budget_exceeded', (e) => {
    if (e.action === 'warn') {
      decisions.warned += 1;
      // A warn budget warns on every call over it; say so once per budget and key.
      if (warnedOnce.has(`${e.budgetId}|${e.key}`)) return;
      warnedOnce.add(`${e.budgetId}|${e.key}`);
    } else if (e.action === 'fallback') decisions.fallbacks += 1;
    else decisions.denied += 1;
    const what = e.action === 'fallback' ? `re-routed ${e.model ?? ''} → ${e.fallbackModel ?? ''}` : e.action === 'warn' ? 'allowed with a warning' : 'DENIED';
    progress(`    ! ${e.scope} budget "${e.budgetId}" (${e.key}): $${e.spentUsd.toFixed(4)} of $${e.limitUsd.toFixed(4)} spent: ${what}`);
  });
  tollgate.on('threshold', (e) => progress(`    · ${e.scope} budget "${e.budgetId}" (${e.key}) passed ${Math.round(e.threshold * 100)} %`));

  const otel = tollgate.start({ exporter: tollgate.config.otel.exporter });
  let server: Awaited<ReturnType<Tollgate['serve']>> | undefined;
  try {
    server = await tollgate.serve({ port: options.port ?? 9464, host: options.host ?? '127.0.0.1' });
    const metricsUrl = `${server.url}/metrics`;
    progress(`open ${server.url}/ : the page (spend, budgets, live calls, traces)`);
    progress(`tollgate demo: ledger ${dbPath}`);
    progress(`serving ${metricsUrl} (and /v1/usage, /v1/budgets, /v1/traces, /v1/events)`);
    progress(`budgets: ${DEMO_BUDGETS.map((b) => `${b.id} ${b.scope} $${b.maxUsd} ${b.onExceed}`).join('; ')}`);

    const openai = instrumentOpenAI(new OpenAI({ baseURL: openaiFake.baseURL, apiKey: 'demo', maxRetries: 0 }), tollgate);
    const anthropic = instrumentAnthropic(new Anthropic({ baseURL: anthropicFake.baseURL, apiKey: 'demo', maxRetries: 0 }), tollgate);
    const reasoner = instrumentOpenAI(new OpenAI({ baseURL: reasoningFake.baseURL, apiKey: 'demo', maxRetries: 0 }), tollgate);
    const notes = new Map<string, string>();
    let scrapedSeries = 0;

    for (let i = 0; i < tasks; i++) {
      const taskId = `T-${String(i + 1).padStart(3, '0')}`;
      const topic = TOPICS[i % TOPICS.length]!;
      progress(`[${i + 1}/${tasks}] ${taskId}: research "${topic}"`);
      // The system prompt is cached after the first call: later calls read it from cache.
      anthropicFake.script({
        ...(i === 0 ? { cacheCreationTokens: 1600, inputTokens: 60 } : { cacheReadTokens: 1600, inputTokens: 60 }),
        // Task 2's analysis runs code on the provider's servers: a billed unit with no price in the
        // price data, so the call is counted in tollgate_unpriced_calls_total (a price override sets one).
        ...(i === 1 ? { codeExecutions: 1 } : {}),
      });
      try {
        await tollgate.session(SESSION, () =>
          tollgate.task(taskId, () =>
            tollgate.agent('researcher', () =>
              tollgate.turn(1, async () => {
                const previous = tollgate.memory('read', () => notes.get(topic), { store: 'notes' });
                const embedding = await openai.embeddings.create({ model: 'text-embedding-3-small', input: [topic, previous ?? ''] });
                const hits = tollgate.tool('vector_search', () => embedding.data.map((d) => d.index));

                const stream = await openai.chat.completions.create({
                  model: 'gpt-4o',
                  stream: true,
                  max_tokens: 300,
                  messages: [
                    { role: 'system', content: 'Plan the research in short steps.' },
                    { role: 'user', content: `Topic: ${topic}. Known hits: ${hits.join(',')}` },
                  ],
                });
                let plan = '';
                for await (const chunk of stream) plan += chunk.choices[0]?.delta?.content ?? '';

                await tollgate
                  .tool('web_fetch', async () => {
                    if (i === 2) throw new Error('HTTP 503 from source');
                    return `page about ${topic}`;
                  })
                  .catch((err: unknown) => progress(`    tool web_fetch failed: ${(err as Error).message} (recorded, agent continues)`));

                const analysis = await anthropic.messages.create({
                  model: 'claude-sonnet-4-20250514',
                  max_tokens: 400,
                  system: [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }],
                  messages: [{ role: 'user', content: `Analyse this plan: ${plan.slice(0, 200)}` }],
                });

                const summary = await openai.chat.completions.create({
                  model: 'gpt-4o',
                  max_tokens: 600,
                  messages: [{ role: 'user', content: `Summarise: ${analysis.content.map((b) => (b.type === 'text' ? b.text : '')).join(' ').slice(0, 300)}` }],
                });
                const text = summary.choices[0]?.message.content ?? '';
                const critique = await reasoner.chat.completions.create({
                  model: 'o3-mini',
                  max_completion_tokens: 200,
                  messages: [{ role: 'user', content: `Check this summary for gaps: ${text.slice(0, 120)}` }],
                });
                tollgate.contract('summary-not-empty', () => text.length > 0);
                tollgate.memory('write', () => notes.set(topic, text), { store: 'notes' });
                progress(`    done: plan ${plan.length} chars, summary by ${summary.model}, critique ${critique.usage?.completion_tokens_details?.reasoning_tokens ?? 0} reasoning tokens`);
              }),
            ),
            REQUESTERS[i % REQUESTERS.length],
          ),
        );
      } catch (err: unknown) {
        if (!(err instanceof BudgetExceededError)) throw err;
        progress(`    stopped: ${err.message}`);
      }
      if (i === 1) scrapedSeries = await scrape(metricsUrl);
    }
    await tollgate.forceFlush();
    scrapedSeries = Math.max(scrapedSeries, await scrape(metricsUrl));
    progress(`scraped ${metricsUrl} during the run: ${scrapedSeries} series`);
    const status = (await (await fetch(`${server.url}/v1/status`)).json()) as { unpricedCalls?: { provider: string; model: string; calls: number }[] };
    for (const u of status.unpricedCalls ?? []) {
      progress(`unpriced: ${u.calls} ${u.provider} ${u.model} call(s) used a billed unit without a price (tollgate_unpriced_calls_total; set a price override)`);
    }

    const report = await buildReportData({
      ledger: tollgate.ledger,
      budgetStatus: () => tollgate.budgets.status(),
      now: Date.now(),
      sessionId: SESSION,
      rateLimits: tollgate.rateLimitStatus(),
    });
    const markdown = renderMarkdown(report);
    if ((options.holdSeconds ?? 0) > 0) {
      progress(`holding ${metricsUrl} open for ${options.holdSeconds} s, with a light trickle of calls (Ctrl-C stops)`);
      const stop = new AbortController();
      options.signal?.addEventListener('abort', () => stop.abort());
      const live = trickle(stop.signal, fast ? 500 : 2000, async () => {
        // Keeps rates alive for dashboards: a cheap chat call and a cached Anthropic call.
        anthropicFake.script({ cacheReadTokens: 1600, inputTokens: 10, outputTokens: 5 });
        await tollgate.session(SESSION, () =>
          tollgate.task('T-live', async () => {
            await openai.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'still there?' }] });
            await anthropic.messages.create({
              model: 'claude-3-haiku-20240307',
              max_tokens: 5,
              system: [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }],
              messages: [{ role: 'user', content: 'ping' }],
            });
          }),
        );
      });
      await hold(options.holdSeconds! * 1000, options.signal);
      stop.abort();
      await live;
    }
    return { report, markdown, metricsUrl, scrapedSeries, decisions };
  } finally {
    await tollgate.shutdown();
    await otel.shutdown();
    await openaiFake.close();
    await reasoningFake.close();
    await anthropicFake.close();
  }
}

async function scrape(url: string): Promise<number> {
  const res = await fetch(url);
  const text = await res.text();
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
}

/** Runs `round` every `everyMs` until `signal` aborts; budget refusals are expected and ignored. */
async function trickle(signal: AbortSignal, everyMs: number, round: () => Promise<void>): Promise<void> {
  while (!signal.aborted) {
    try {
      await round();
    } catch (err: unknown) {
      if (!(err instanceof BudgetExceededError)) throw err;
    }
    await hold(everyMs, signal);
  }
}

function hold(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted === true) return done();
    const onAbort = (): void => {
      clearTimeout(timer);
      done();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      done();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
