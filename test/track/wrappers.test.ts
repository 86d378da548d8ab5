import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { makeTestTollgate, type TestTollgate } from '../helpers/otel.js';

// gpt-4o-mini: $0.15 / 1M input, $0.60 / 1M output.
// 1,000 in + 500 out = 150,000 + 300,000 nano-USD = $0.00045.
const USAGE = { input: 1000, output: 500 };

let t: TestTollgate;
afterEach(async () => {
  await t.shutdown();
});

describe('tollgate.llm', () => {
  it('names each span after its own operation and model, as calls switch between them', async () => {
    t = makeTestTollgate();
    const calls: [string, 'chat' | 'text_completion'][] = [['gpt-4o-mini', 'chat'], ['gpt-4o', 'chat'], ['gpt-4o', 'text_completion'], ['gpt-4o-mini', 'chat']];
    for (const [model, operation] of calls) await t.tollgate.llm({ model, operation }, (c) => c.setUsage({ input: 1, output: 1 }));
    expect(t.spans().map((s) => s.name)).toEqual(['chat gpt-4o-mini', 'chat gpt-4o', 'text_completion gpt-4o', 'chat gpt-4o-mini']);
  });

  it('makes a CLIENT `chat {model}` span with tokens, exact cost and attribution', async () => {
    t = makeTestTollgate({ budgets: [{ scope: 'daily', maxUsd: 100 }] });
    const result = await t.tollgate.session('S-1', () =>
      t.tollgate.task('T-1', () =>
        t.tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 500, input: [{ role: 'user', content: 'hello there' }] }, (call) => {
          call.setUsage({ ...USAGE, responseModel: 'gpt-4o-mini-2024-07-18', responseId: 'resp-1' });
          return 'ok';
        }),
      ),
    );
    expect(result).toBe('ok');
    const span = t.byName('chat gpt-4o-mini');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 500,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.usage.cost': 0.00045,
      'gen_ai.usage.cost.amount': 0.00045,
      'gen_ai.usage.cost.currency': 'USD',
      'tollgate.cost.nanos': 450_000,
      'tollgate.cost.input_usd': 0.00015,
      'tollgate.cost.output_usd': 0.0003,
      'tollgate.task.id': 'T-1',
      'tollgate.session.id': 'S-1',
      'gen_ai.conversation.id': 'S-1',
      'tollgate.decision': 'allow',
      'tollgate.status': 'ok',
    });
    expect(typeof span.attributes['tollgate.estimate.input_tokens']).toBe('number');
    // The whole attribute set, exactly: nothing more (no prompt text), nothing missing.
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 500,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'resp-1',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.usage.cost': 0.00045,
      'gen_ai.usage.cost.amount': 0.00045,
      'gen_ai.usage.cost.currency': 'USD',
      'gen_ai.usage.cost.source': 'computed',
      'gen_ai.conversation.id': 'S-1',
      'tollgate.wrapper': 'chat',
      'tollgate.estimate.input_tokens': span.attributes['tollgate.estimate.input_tokens'],
      'tollgate.task.id': 'T-1',
      'tollgate.session.id': 'S-1',
      'tollgate.decision': 'allow',
      'tollgate.reserved_usd': span.attributes['tollgate.reserved_usd'],
      'tollgate.status': 'ok',
      'tollgate.cost.nanos': 450_000,
      'tollgate.price.source': 'genai-prices',
      'tollgate.cost.input_usd': 0.00015,
      'tollgate.cost.output_usd': 0.0003,
      'tollgate.cost.cache_read_usd': 0,
      'tollgate.cost.cache_write_usd': 0,
      'tollgate.shortfall_usd': span.attributes['tollgate.shortfall_usd'],
    });
    // Reserved: the estimate of the input plus the 500 max tokens, at gpt-4o-mini prices.
    const estimate = span.attributes['tollgate.estimate.input_tokens'] as number;
    const reservedNanos = estimate * 150 + 500 * 600;
    expect(span.attributes['tollgate.reserved_usd']).toBeCloseTo(reservedNanos / 1e9, 12);
    // The provider reported far more input (1,000) than the few words estimated: the cost beyond the reservation is the shortfall.
    expect(span.attributes['tollgate.shortfall_usd']).toBeCloseTo((450_000 - reservedNanos) / 1e9, 12);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    // The task span is the parent of the call: one low-cardinality name, the id an attribute.
    const task = t.byName('invoke_agent task');
    expect(task.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'tollgate.span': 'task', 'tollgate.task.id': 'T-1' });
    expect(span.parentSpanContext?.spanId).toBe(task.spanContext().spanId);
    const rows = await t.tollgate.usage({ by: 'task' });
    expect(rows).toEqual([expect.objectContaining({ key: 'T-1', calls: 1, inputTokens: 1000, outputTokens: 500, costNanos: 450_000 })]);
  });

  it('reads usage from the result with `usage`, and works with a synchronous fn', async () => {
    t = makeTestTollgate();
    const out = await t.tollgate.llm({ model: 'gpt-4o-mini', usage: (r: { n: number }) => ({ input: r.n, output: r.n }) }, () => ({ n: 1_000_000 }));
    expect(out).toEqual({ n: 1_000_000 });
    expect(t.byName('chat gpt-4o-mini').attributes['gen_ai.usage.cost']).toBe(0.75);
  });

  it('records a failure with error.type, settles at 0 and rethrows the same error', async () => {
    t = makeTestTollgate();
    class ProviderDown extends Error {}
    const err = new ProviderDown('503');
    await expect(t.tollgate.llm({ model: 'gpt-4o-mini' }, () => Promise.reject(err))).rejects.toBe(err);
    const span = t.byName('chat gpt-4o-mini');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('ProviderDown');
    expect(span.attributes['tollgate.status']).toBe('error');
    expect(span.attributes['gen_ai.usage.cost']).toBe(0);
    const rows = await t.tollgate.usage({ by: 'status' });
    expect(rows).toEqual([expect.objectContaining({ key: 'error', calls: 1, costNanos: 0 })]);
  });

  it('denies before fn runs once a deny budget is spent, and the deny is a span', async () => {
    t = makeTestTollgate({ budgets: [{ scope: 'daily', maxUsd: 0.001, onExceed: 'deny' }] });
    let ran = 0;
    const call = () =>
      t.tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 500, inputTokens: 1000 }, (c) => {
        ran += 1;
        c.setUsage(USAGE);
      });
    await call(); // reserves $0.00045, settles $0.00045
    await call(); // $0.0009 spent
    await expect(call()).rejects.toBeInstanceOf(BudgetExceededError);
    expect(ran).toBe(2);
    const denied = t.spans().filter((s) => s.attributes['tollgate.decision'] === 'deny');
    expect(denied).toHaveLength(1);
    expect(denied[0]!.attributes['tollgate.status']).toBe('denied');
    expect(denied[0]!.attributes['error.type']).toBe('BudgetExceededError');
    try {
      await call();
    } catch (err: unknown) {
      expect(err).toMatchObject({ scope: 'daily', action: 'deny', limitUsd: 0.001, spentUsd: 0.0009, attemptedUsd: 0.00045 });
    }
  });

  it('hands fn the fallback model when a fallback budget does not fit', async () => {
    t = makeTestTollgate({ budgets: [{ scope: 'task', maxUsd: 0.0001, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' }] });
    const used = await t.tollgate.task('T-2', () =>
      t.tollgate.llm({ model: 'gpt-4o', maxTokens: 10, inputTokens: 100 }, (c) => {
        // gpt-4o: 100 in + 10 out = $0.00035 > $0.0001; gpt-4o-mini: $0.000021 fits.
        c.setUsage({ input: 100, output: 10 });
        return c.model;
      }),
    );
    expect(used).toBe('gpt-4o-mini');
    const span = t.byName('chat gpt-4o');
    expect(span.attributes).toMatchObject({ 'tollgate.decision': 'fallback', 'tollgate.requested_model': 'gpt-4o', 'tollgate.fallback_model': 'gpt-4o-mini' });
    // Priced at the model that was used: 100 × 0.15 + 10 × 0.60 = 21,000 nano-USD.
    expect(span.attributes['tollgate.cost.nanos']).toBe(21_000);
  });
});

describe('tollgate.embedding', () => {
  it('makes `embeddings {model}` priced on input tokens only', async () => {
    t = makeTestTollgate();
    await t.tollgate.embedding({ model: 'text-embedding-3-small', input: ['a', 'b'] }, (c) => c.setUsage({ input: 1_000_000, output: 0 }));
    const span = t.byName('embeddings text-embedding-3-small');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes['gen_ai.operation.name']).toBe('embeddings');
    expect(span.attributes['gen_ai.usage.cost']).toBe(0.02);
  });
});

describe('tool, memory, contract, agent, turn', () => {
  it('builds one trace with every activity under its task and agent', async () => {
    t = makeTestTollgate();
    await t.tollgate.task('T-9', () =>
      t.tollgate.agent('planner', async () => {
        await t.tollgate.turn(1, async () => {
          expect(t.tollgate.tool('search', () => 42)).toBe(42);
          await t.tollgate.tool('fetch', async () => 'page');
          expect(() => t.tollgate.tool('explode', () => { throw new TypeError('bad'); })).toThrow(TypeError);
          t.tollgate.memory('write', () => undefined, { store: 'notes' });
          await t.tollgate.memory('read', async () => 'x');
          expect(t.tollgate.contract('non-empty', () => true)).toBe(true);
          expect(await t.tollgate.contract('has-citation', async () => ({ pass: false, reason: 'no source' }))).toEqual({ pass: false, reason: 'no source' });
        });
      }),
    );
    const tool = t.byName('execute_tool search');
    expect(tool.kind).toBe(SpanKind.INTERNAL);
    expect(tool.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'tollgate.tool.status': 'success', 'tollgate.task.id': 'T-9', 'tollgate.agent.id': 'planner' });
    const failed = t.byName('execute_tool explode');
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes).toMatchObject({ 'error.type': 'TypeError', 'tollgate.tool.status': 'failure' });
    expect(t.byName('memory write').attributes).toMatchObject({ 'tollgate.memory.operation': 'write', 'tollgate.memory.store': 'notes' });
    expect(t.byName('contract non-empty').attributes['tollgate.contract.result']).toBe('pass');
    expect(t.byName('contract has-citation').attributes).toMatchObject({ 'tollgate.contract.result': 'fail', 'tollgate.contract.reason': 'no source' });
    const agent = t.byName('invoke_agent planner');
    expect(agent.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner' });
    const turn = t.byName('invoke_agent turn');
    expect(turn.attributes).toMatchObject({ 'tollgate.span': 'turn', 'tollgate.turn': '1' });
    const task = t.byName('invoke_agent task');
    expect(task.attributes['tollgate.task.id']).toBe('T-9');
    // No span name carries an id or a number.
    expect(t.spans().map((s) => s.name).filter((n) => /T-9|turn 1/.test(n))).toEqual([]);
    expect(agent.parentSpanContext?.spanId).toBe(task.spanContext().spanId);
    expect(turn.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
    for (const name of ['execute_tool search', 'execute_tool fetch', 'memory write', 'memory read', 'contract non-empty']) {
      expect(t.byName(name).parentSpanContext?.spanId).toBe(turn.spanContext().spanId);
    }
    expect(new Set(t.spans().map((s) => s.spanContext().traceId)).size).toBe(1);
    // Every activity is in the ledger under the task, at cost 0.
    const ops = await t.tollgate.usage({ by: 'operation', where: { task: 'T-9' } });
    expect(Object.fromEntries(ops.map((g) => [g.key, g.calls]))).toEqual({ execute_tool: 3, memory: 2, contract: 2 });
    const text = await t.tollgate.metrics.metricsText();
    expect(text).toContain('tool_calls_total{tool="search",status="ok"} 1');
    expect(text).toContain('tool_calls_total{tool="explode",status="error"} 1');
  });
});

describe('contract', () => {
  it('a check that returns no verdict (plain JavaScript) is recorded as failed, in the span and in the ledger', async () => {
    t = makeTestTollgate();
    const noVerdict = (() => undefined) as unknown as () => boolean;
    expect(t.tollgate.contract('has-verdict', noVerdict)).toBeUndefined();
    expect(t.byName('contract has-verdict').attributes['tollgate.contract.result']).toBe('fail');
    const [row] = await t.tollgate.usage({ by: 'operation' });
    expect(row).toMatchObject({ key: 'contract', calls: 1 });
    expect(await t.tollgate.metrics.metricsText()).toContain('contract_checks_total{contract="has-verdict",result="fail"} 1');
  });
});

describe('content capture', () => {
  const messages = [{ role: 'user', content: 'secret prompt' }];
  it('keeps prompt and completion text off spans by default', async () => {
    t = makeTestTollgate();
    await t.tollgate.llm({ model: 'gpt-4o-mini', input: messages }, (c) => c.setOutput('secret answer'));
    const attrs = t.byName('chat gpt-4o-mini').attributes;
    expect(attrs['gen_ai.input.messages']).toBeUndefined();
    expect(attrs['gen_ai.output.messages']).toBeUndefined();
    expect(JSON.stringify(attrs)).not.toContain('secret');
  });
  it('records them when captureContent is on', async () => {
    t = makeTestTollgate({ captureContent: true });
    await t.tollgate.llm({ model: 'gpt-4o-mini', input: messages }, (c) => c.setOutput('secret answer'));
    const attrs = t.byName('chat gpt-4o-mini').attributes;
    expect(attrs['gen_ai.input.messages']).toBe(JSON.stringify(messages));
    expect(attrs['gen_ai.output.messages']).toBe('secret answer');
  });
  it('records them when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true is in the environment', async () => {
    t = makeTestTollgate({ env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' } });
    await t.tollgate.llm({ model: 'gpt-4o-mini', input: messages }, (c) => c.setOutput('secret answer'));
    expect(t.byName('chat gpt-4o-mini').attributes['gen_ai.input.messages']).toBe(JSON.stringify(messages));
  });
});
