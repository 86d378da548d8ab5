import { describe, expect, it } from 'vitest';
import { ResponsesStreamAccumulator } from '../../../instrumentations/openai/ResponsesStreamAccumulator.js';

describe('ResponsesStreamAccumulator', () => {
  it('counts function-call argument deltas as output and reads server-side tool calls from the final response', () => {
    const acc = new ResponsesStreamAccumulator();
    acc.add({ type: 'response.created', response: { id: 'r1', model: 'gpt-4o' } });
    acc.add({ type: 'response.function_call_arguments.delta', delta: '{"q":' });
    acc.add({ type: 'response.function_call_arguments.delta', delta: '"x"}' });
    expect(acc.runningUsage(7)).toEqual({ input: 7, output: 2 });
    acc.add({
      type: 'response.completed',
      response: {
        id: 'r1',
        model: 'gpt-4o',
        status: 'completed',
        service_tier: 'flex',
        output: [{ type: 'web_search_call' }, { type: 'web_search_call' }, { type: 'file_search_call' }, { type: 'message' }],
        usage: { input_tokens: 9, output_tokens: 2 },
      },
    });
    expect(acc.reportedUsage()).toEqual({ input: 9, output: 2, serviceTier: 'flex', webSearches: 2, fileSearches: 1 });
  });
});
