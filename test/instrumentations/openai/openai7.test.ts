/**
 * instrumentOpenAI with openai 7 (which needs Node >= 22). The repository's own devDependency is
 * openai 6; in the Node 24 leg of `.ci/run`, scripts/testNode24Matrix.sh installs openai 7 into its
 * copy of the checkout and names that copy in TOLLGATE_OPENAI7_DIR. Run locally:
 *   mkdir /tmp/o7 && cd /tmp/o7 && npm i openai@7   (with a Node >= 22 first on PATH)
 *   TOLLGATE_OPENAI7_DIR=/tmp/o7 <node 24> node_modules/vitest/vitest.mjs run test/instrumentations/openai/openai7.test.ts
 * Without the variable the file is skipped (the Node 20 leg cannot load openai 7).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type OpenAIType from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../../instrumentations/openai/index.js';
import { BudgetExceededError } from '../../../src/core/BudgetExceededError.js';
import { startFakeOpenAI } from '../../fakes/index.js';
import type { FakeOpenAI } from '../../fakes/index.js';
import { createTestTollgate, INPUT_NANOS, OUTPUT_NANOS } from '../helpers.js';
import type { TestTollgate } from '../helpers.js';

const dir = process.env.TOLLGATE_OPENAI7_DIR;
type OpenAIClass = typeof OpenAIType;

/** The `openai` package installed in `from`, loaded as an ES module, with its version. */
async function loadOpenAI(from: string): Promise<{ OpenAI: OpenAIClass; version: string }> {
  const require = createRequire(join(from, 'package.json'));
  const pkg = JSON.parse(readFileSync(join(from, 'node_modules', 'openai', 'package.json'), 'utf8')) as { version: string };
  const entry = require.resolve('openai').replace(/index\.js$/, 'index.mjs');
  const mod = (await import(pathToFileURL(entry).href)) as { default: OpenAIClass };
  return { OpenAI: mod.default, version: pkg.version };
}

describe.skipIf(dir === undefined)('instrumentOpenAI with openai 7 (TOLLGATE_OPENAI7_DIR)', () => {
  let OpenAI: OpenAIClass;
  let version: string;
  let fake: FakeOpenAI;
  let tollgate: TestTollgate;
  const messages = [{ role: 'user' as const, content: 'name three colours' }];

  beforeAll(async () => {
    ({ OpenAI, version } = await loadOpenAI(dir as string));
    fake = await startFakeOpenAI({ outputTokens: 4 });
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => {
    tollgate = createTestTollgate({ budgets: [{ id: 'day', scope: 'daily', maxUsd: 1, onExceed: 'deny' }] });
  });

  const client = () => instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);

  it('is really openai 7 on Node >= 22', () => {
    expect(version).toMatch(/^7\./);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
  });

  it('chat.completions.create is priced and charged', async () => {
    const got = await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 });
    expect(got.choices[0]?.message.content).toBe('tok0 tok1 tok2 tok3');
    const [span] = tollgate.spans();
    expect(span?.name).toBe('chat gpt-4o');
    expect(span?.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 3, 'gen_ai.usage.output_tokens': 4 });
    const [record] = await tollgate.records();
    expect(record?.costNanos).toBe(3 * INPUT_NANOS + 4 * OUTPUT_NANOS);
  });

  it('a stream is charged from its usage chunk, which the caller does not see', async () => {
    const stream = await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50, stream: true });
    const texts: string[] = [];
    for await (const chunk of stream) {
      expect(chunk.choices).toHaveLength(1);
      texts.push(chunk.choices[0]?.delta.content ?? '');
    }
    expect(texts.join('')).toBe('tok0 tok1 tok2 tok3');
    expect(fake.requests.at(-1)?.body).toMatchObject({ stream_options: { include_usage: true } });
    await expect.poll(async () => (await tollgate.records()).map((r) => r.costNanos)).toEqual([3 * INPUT_NANOS + 4 * OUTPUT_NANOS]);
  });

  it('responses.create is priced and charged', async () => {
    await client().responses.create({ model: 'gpt-4o', input: 'name three colours', max_output_tokens: 50 });
    const [record] = await tollgate.records();
    expect(record?.costNanos).toBe(3 * INPUT_NANOS + 4 * OUTPUT_NANOS);
  });

  it('a deny rejects with BudgetExceededError and sends nothing', async () => {
    tollgate = createTestTollgate({ budgets: [{ id: 'day', scope: 'daily', maxUsd: 0.000001, onExceed: 'deny' }] });
    const before = fake.requests.length;
    const err = await client()
      .chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 100 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ budgetId: 'day', scope: 'daily', action: 'deny' });
    expect(fake.requests.length).toBe(before);
    expect((await tollgate.records()).map((r) => r.status)).toEqual(['denied']);
  });
});
