import { logs } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeOpenAI } from '../fakes/index.js';
import { makeTestTollgate } from '../helpers/otel.js';
import type { TestTollgate } from '../helpers/otel.js';
import { runCli } from '../cli/runCli.js';

describe('log lines: one per call and one per budget warning', () => {
  let fake: FakeOpenAI;
  let t: TestTollgate | undefined;
  let exporter: InMemoryLogRecordExporter;
  let provider: LoggerProvider;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ inputTokens: 1000, outputTokens: 500 });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(async () => {
    await t?.shutdown();
    t = undefined;
    await provider.shutdown();
    logs.disable();
  });
  function registerLogs(): void {
    exporter = new InMemoryLogRecordExporter();
    provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    logs.setGlobalLoggerProvider(provider);
  }

  it('log.level info: a record per call (model, tokens, cost, decision, task) and a warning per budget event, through the host OTel logger provider', async () => {
    registerLogs();
    t = makeTestTollgate({
      log: { level: 'info' },
      budgets: [
        { id: 'soft', scope: 'task', maxUsd: 0.000_001, onExceed: 'warn' },
        { id: 'hard', scope: 'total', maxUsd: 0.02, onExceed: 'deny' },
      ],
    });
    const openai = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
    await t.tollgate.task('T-7', () => openai.chat.completions.create({ model: 'gpt-4o', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] }));
    await expect(openai.chat.completions.create({ model: 'gpt-4o', max_tokens: 100_000, messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(BudgetExceededError);
    await t.tollgate.forceFlush();
    await provider.forceFlush();

    const records = exporter.getFinishedLogRecords();
    const calls = records.filter((r) => r.body === 'chat gpt-4o');
    expect(calls).toHaveLength(2);
    // gpt-4o: $2.50 / M input, $10 / M output: 1000 in + 500 out = $0.0075
    expect(calls[0]?.severityText).toBe('INFO');
    expect(calls[0]?.attributes).toMatchObject({ provider: 'openai', model: 'gpt-4o', inputTokens: 1000, outputTokens: 500, costUsd: 0.0075, decision: 'warn', status: 'ok', task: 'T-7' });
    expect(calls[1]?.attributes).toMatchObject({ model: 'gpt-4o', costUsd: 0, decision: 'deny', status: 'denied' });
    const warnings = records.filter((r) => r.severityText === 'WARN');
    expect(warnings.filter((r) => r.attributes.action !== undefined).map((r) => [r.body, r.attributes.action])).toEqual([
      ['task budget "soft" exceeded: call allowed with a warning', 'warn'],
      ['total budget "hard" exceeded: call denied', 'deny'],
    ]);
    // The crossed thresholds of the warn budget are warnings too.
    expect(warnings.filter((r) => r.attributes.threshold !== undefined).map((r) => r.body)).toEqual([
      'task budget "soft" 50% used',
      'task budget "soft" 80% used',
      'task budget "soft" 100% used',
    ]);
  });

  it('default level warn: budget warnings, no line per call', async () => {
    registerLogs();
    t = makeTestTollgate({ budgets: [{ id: 'soft', scope: 'total', maxUsd: 0.000_001, onExceed: 'warn' }] });
    await t.tollgate.llm({ model: 'gpt-4o', maxTokens: 10 }, (c) => c.setUsage({ input: 10, output: 10 }));
    await t.tollgate.forceFlush();
    await provider.forceFlush();
    const records = exporter.getFinishedLogRecords();
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.severityText === 'WARN')).toBe(true);
    expect(records.some((r) => r.attributes.action === 'warn')).toBe(true);
    expect(records.some((r) => String(r.body).startsWith('chat '))).toBe(false);
  });

  it('without an OTel logger provider: JSON lines on stderr when it is not a TTY (TOLLGATE_LOG_LEVEL=info, the demo)', async () => {
    provider = new LoggerProvider();
    const r = await runCli(['demo', '--fast', '--port', '0'], { env: { TOLLGATE_LOG_LEVEL: 'info' }, timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const lines = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const calls = lines.filter((l) => l.level === 'info' && typeof l.inputTokens === 'number');
    expect(calls.length).toBeGreaterThan(10);
    for (const call of calls) {
      expect(call).toMatchObject({ msg: expect.stringMatching(/^(chat|embeddings) /), model: expect.any(String), costUsd: expect.any(Number), decision: expect.stringMatching(/^(allow|warn|fallback|deny)$/) });
      expect(Number.isNaN(Date.parse(String(call.time)))).toBe(false);
    }
    expect(calls.some((c) => typeof c.task === 'string')).toBe(true);
    expect(calls.some((c) => c.decision === 'fallback' && typeof c.requestedModel === 'string')).toBe(true);
    expect(lines.some((l) => l.level === 'warn' && l.action === 'deny')).toBe(true);
    // Without TOLLGATE_LOG_LEVEL the demo prints its own progress only.
    const quiet = await runCli(['demo', '--fast', '--port', '0'], { timeoutMs: 60_000 });
    expect(quiet.stderr.split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
  }, 120_000);
});

describe('log lines of store events', () => {
  it('a store that lost its data is logged at error, a call admitted from a lease at warn, each with its fields', async () => {
    const { EventBus } = await import('../../src/events/EventBus.js');
    const { TollgateLogger } = await import('../../src/sinks/TollgateLogger.js');
    const { logEvents } = await import('../../src/sinks/logSink.js');
    const lines: string[] = [];
    const bus = new EventBus();
    const off = logEvents(bus, new TollgateLogger({ level: 'warn', json: true, write: (line) => lines.push(line) }));
    bus.emit('store_reset', { keyPrefix: 'tollgate:', previousEpoch: 'a1', epoch: 'b2', time: Date.UTC(2026, 11, 3) });
    bus.emit('lease', { bucketKey: 'cap|daily|global', budgetId: 'cap', leaseUsd: 0.2, remainingUsd: 0.15, usableUntil: Date.UTC(2026, 11, 3, 0, 1), reason: 'connection closed', time: Date.UTC(2026, 11, 3) });
    off();
    bus.emit('lease', { bucketKey: 'x', budgetId: 'x', leaseUsd: 1, remainingUsd: 1, usableUntil: 0, reason: 'r', time: 0 });
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toHaveLength(2);
    expect(parsed[0]).toMatchObject({ level: 'error', keyPrefix: 'tollgate:', previousEpoch: 'a1', epoch: 'b2' });
    expect(String(parsed[0]?.msg)).toContain('the store lost its data');
    expect(parsed[1]).toMatchObject({ level: 'warn', budgetId: 'cap', bucketKey: 'cap|daily|global', leaseUsd: 0.2, remainingUsd: 0.15, usableUntil: '2026-12-03T00:01:00.000Z', reason: 'connection closed' });
  });
});
