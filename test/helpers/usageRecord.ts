import type { UsageRecord } from '../../src/core/UsageRecord.js';

/** A usage record for tests: an ok gpt-4o chat call with every count zero unless given. */
export function usageRecord(fields: Partial<UsageRecord> & Pick<UsageRecord, 'id' | 'time'>): UsageRecord {
  return {
    provider: 'openai',
    model: 'gpt-4o',
    operation: 'chat',
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos: 0,
    status: 'ok',
    ...fields,
  };
}
