import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  attributionOf,
  BAGGAGE_AGENT,
  BAGGAGE_API_KEY_HASH,
  BAGGAGE_METADATA_PREFIX,
  BAGGAGE_SESSION,
  BAGGAGE_TAGS,
  BAGGAGE_TASK,
  BAGGAGE_TEAM,
  BAGGAGE_USER,
  withAttribution,
  withDimensions,
} from '../../src/core/attribution.js';
import { apiKeyHash } from '../../src/core/apiKeyHash.js';
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

  it('lays dimensions over those of enclosing scopes: user, team and key replaced, tags joined, metadata merged', () => {
    const outer = withDimensions(ROOT_CONTEXT, { user: 'alice', team: 'search', tags: ['batch'], meta: { env: 'prod', region: 'eu' } });
    const inner = withDimensions(withAttribution(outer, 'task', 'T-1'), { team: 'ads', tags: ['eval', 'batch'], meta: { env: 'dev' } });
    expect(attributionOf(inner)).toEqual({ task: 'T-1', user: 'alice', team: 'ads', tags: ['batch', 'eval'], meta: { env: 'dev', region: 'eu' } });
    expect(attributionOf(outer).team).toBe('search');
  });

  it('reads user, team, key hash, tags and metadata from baggage (a raw key is hashed on arrival; out-of-bounds entries left out)', () => {
    const baggage = propagation.createBaggage({
      [BAGGAGE_USER]: { value: 'u-remote' },
      [BAGGAGE_TEAM]: { value: 'search' },
      [BAGGAGE_API_KEY_HASH]: { value: 'sk-raw-from-another-service' },
      [BAGGAGE_TAGS]: { value: 'batch, eval,batch' },
      [`${BAGGAGE_METADATA_PREFIX}env`]: { value: 'prod' },
      [`${BAGGAGE_METADATA_PREFIX}decision`]: { value: 'reserved key, dropped' },
    });
    const ctx = propagation.setBaggage(ROOT_CONTEXT, baggage);
    expect(attributionOf(ctx)).toEqual({
      user: 'u-remote',
      team: 'search',
      apiKeyHash: apiKeyHash('sk-raw-from-another-service'),
      tags: ['batch', 'eval'],
      meta: { env: 'prod' },
    });
    // The context wins over baggage.
    expect(attributionOf(withDimensions(ctx, { user: 'local' })).user).toBe('local');
  });

  it('puts the dimensions on the spans of calls and activities and on their records, set per task and per call', async () => {
    t = makeTestTollgate();
    await t.tollgate.task(
      'T-9',
      async () => {
        await t!.tollgate.llm({ model: 'gpt-4o-mini', inputTokens: 10, maxTokens: 10, tags: ['eval'], apiKey: 'sk-caller' }, (call) => call.setUsage({ input: 10, output: 10 }));
        t!.tollgate.tool('search', () => 1);
      },
      { user: 'alice', team: 'search', tags: ['batch'], metadata: { env: 'prod' } },
    );
    await t.tollgate.forceFlush();
    expect(t.byName('chat gpt-4o-mini').attributes).toMatchObject({
      'user.id': 'alice',
      'tollgate.team.id': 'search',
      'tollgate.api_key.hash': apiKeyHash('sk-caller'),
      'tollgate.tags': ['batch', 'eval'],
      'tollgate.metadata.env': 'prod',
    });
    expect(t.byName('execute_tool search').attributes).toMatchObject({ 'user.id': 'alice', 'tollgate.tags': ['batch'] });
    const records = await t.tollgate.ledger.records({});
    expect(records.map((r) => [r.operation, r.user, r.team, r.tags, r.metadata?.['env']])).toEqual([
      ['execute_tool', 'alice', 'search', ['batch'], 'prod'],
      ['chat', 'alice', 'search', ['batch', 'eval'], 'prod'],
    ]);
    expect(JSON.stringify(records)).not.toContain('sk-caller');
  });
});
