import { describe, expect, it } from 'vitest';
import { ChatStreamAccumulator } from '../../../instrumentations/openai/ChatStreamAccumulator.js';

const toolChunk = (args: string): unknown => ({
  id: 'c1',
  model: 'gpt-4o',
  choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args } }] }, finish_reason: null }],
});

describe('ChatStreamAccumulator', () => {
  it('counts tool-call argument chunks as output while no usage is reported (a cut stream)', () => {
    const acc = new ChatStreamAccumulator(false);
    acc.add({ id: 'c1', model: 'gpt-4o', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] });
    for (const args of ['{"ci', 'ty":', ' "Par', 'is"}']) acc.add(toolChunk(args));
    acc.add(toolChunk(''));
    expect(acc.runningUsage(12)).toEqual({ input: 12, output: 4 });
    expect(acc.outputText()).toBe('');
  });

  it('puts the service tier the chunks state on the reported usage', () => {
    const acc = new ChatStreamAccumulator(true);
    acc.add({ id: 'c1', model: 'gpt-5', service_tier: 'priority', choices: [{ index: 0, delta: { content: 'hi' } }] });
    acc.add({ id: 'c1', model: 'gpt-5', service_tier: 'priority', choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } });
    expect(acc.reportedUsage()).toEqual({ input: 3, output: 1, serviceTier: 'priority' });
  });
});
