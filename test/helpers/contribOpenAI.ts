import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';

const require = createRequire(import.meta.url);

/**
 * Whether `@opentelemetry/instrumentation-openai` patches the `openai` installed here, by the
 * range it declares itself. 0.21 and 0.22 (the newest) declare `>=4.19.0 <7`: with openai 7 (the
 * Node 24 leg of CI) the contrib instrumentation makes no spans at all, so the tests of its
 * spans run where openai is 6 (the Node 20 leg). `reason` says so in the test's name.
 */
export function contribPatchesOpenAI(instrumentation: OpenAIInstrumentation): { patched: boolean; reason: string } {
  const openai = (JSON.parse(readFileSync(join(dirname(require.resolve('openai')), 'package.json'), 'utf8')) as { version: string }).version;
  const ranges = instrumentation
    .getModuleDefinitions()
    .filter((d) => d.name === 'openai')
    .flatMap((d) => d.supportedVersions);
  const major = Number(openai.split('.')[0]);
  // Every range it has declared so far is `>=a.b.c <N`: patched when the major is below each N found.
  const uppers = ranges.map((r) => /<\s*(\d+)(?:\.0)*\s*$/.exec(r)?.[1]).map(Number);
  if (ranges.length === 0 || uppers.some((n) => Number.isNaN(n))) {
    throw new Error(`contribPatchesOpenAI: @opentelemetry/instrumentation-openai declares openai ranges ${JSON.stringify(ranges)}, which this helper does not read: update test/helpers/contribOpenAI.ts`);
  }
  const patched = uppers.some((n) => major < n);
  return { patched, reason: `openai ${openai}, which @opentelemetry/instrumentation-openai patches (${ranges.join(' || ')})` };
}
