import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { afterEach, describe, expect, it } from 'vitest';
import { attributionOf, BAGGAGE_AGENT, BAGGAGE_SESSION, BAGGAGE_TASK, withAttribution } from '../../src/core/attribution.js';
import { makeTestTollgate, type TestTollgate } from '../helpers/otel.js';

let t: TestTollgate | undefined;
afterEach(async () => {
  await t?.shutdown();
  t = undefined;
});

describe('attribution', () => {
  it('carries task, session and agent ids in the context, each kept when another is set', () => {
    expect(attributionOf(ROOT_CONTEXT)).toEqual({});
    const ctx = withAttribution(withAttribution(withAttribution(ROOT_CONTEXT, 'session', 'S-1'), 'task', 'T-1'), 'agent', 'planner');
    expect(attributionOf(ctx)).toEqual({ task: 'T-1', session: 'S-1', agent: 'planner' });
    const inner = withAttribution(ctx, 'task', 'T-2');
    expect(attributionOf(inner)).toEqual({ task: 'T-2', session: 'S-1', agent: 'planner' });
    expect(attributionOf(ctx).task).toBe('T-1'); // the outer context is unchanged
  });

  it('fills ids the context lacks from W3C baggage (set by another service), the context winning', () => {
    const baggage = propagation.createBaggage({ [BAGGAGE_TASK]: { value: 'T-remote' }, [BAGGAGE_SESSION]: { value: 'S-remote' }, [BAGGAGE_AGENT]: { value: 'a-remote' } });
    const withBaggage = propagation.setBaggage(ROOT_CONTEXT, baggage);
    expect(attributionOf(withBaggage)).toEqual({ task: 'T-remote', session: 'S-remote', agent: 'a-remote' });
    expect(attributionOf(withAttribution(withBaggage, 'task', 'T-local'))).toEqual({ task: 'T-local', session: 'S-remote', agent: 'a-remote' });
  });

  it('charges a call to the task of an incoming baggage header', async () => {
    t = makeTestTollgate({ budgets: [{ scope: 'task', maxUsd: 1 }] });
    const header = { baggage: `${BAGGAGE_TASK}=T-from-header` };
    const incoming = new W3CBaggagePropagator().extract(context.active(), header, { get: (c, k) => c[k as keyof typeof c], keys: (c) => Object.keys(c) });
    await context.with(incoming, () => t!.tollgate.llm({ model: 'gpt-4o-mini', inputTokens: 10, maxTokens: 10 }, (call) => call.setUsage({ input: 10, output: 10 })));
    const [row] = await t.tollgate.usage({ by: 'task' });
    expect(row).toMatchObject({ key: 'T-from-header', calls: 1 });
    expect(t.byName('chat gpt-4o-mini').attributes['tollgate.task.id']).toBe('T-from-header');
  });
});
