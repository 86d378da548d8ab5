import { describe, expect, it } from 'vitest';
import * as tollgate from '../src/index.js';

describe('public API', () => {
  it('exports the documented entry points', () => {
    for (const name of [
      'createTollgate',
      'loadConfig',
      'tollgateSampler',
      'TollgateSampler',
      'BudgetSpanProcessor',
      'installFetchGuard',
      'BudgetEngine',
      'BudgetExceededError',
      'ConfigError',
      'UnknownModelError',
      'RateLimitError',
      'LedgerUnavailableError',
      'MemoryLedger',
      'SqliteLedger',
      'openLedger',
      'PricingCatalog',
      'DefaultTokenEstimator',
      'TollgateMetrics',
      'GenAiMeters',
      'createRequestHandler',
      'startServer',
      'TraceRing',
      'SlackSink',
      'WebhookSink',
      'RateLimiter',
      'renderMarkdown',
      'buildReportData',
    ]) {
      expect(typeof (tollgate as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(tollgate.ATTR_GEN_AI_USAGE_COST).toBe('gen_ai.usage.cost');
    expect(tollgate.NANOS_PER_USD).toBe(1_000_000_000);
  });

  it('has no default export', () => {
    expect('default' in tollgate).toBe(false);
  });
});
