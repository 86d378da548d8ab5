import { GEN_AI_OPERATION_CHAT } from '../../src/semconv/attributes.js';
import { field, numberField, stringField } from '../shared/requestAttributes.js';
import type { RequestDescription } from '../shared/requestAttributes.js';

/** What a `messages.create` body says before it is sent. */
export function describeAnthropicRequest(body: unknown): RequestDescription {
  const system = field(body, 'system');
  const messages = field(body, 'messages');
  return {
    operation: GEN_AI_OPERATION_CHAT,
    provider: 'anthropic',
    model: stringField(body, 'model') ?? 'unknown',
    maxTokens: numberField(body, 'max_tokens'),
    temperature: numberField(body, 'temperature'),
    stream: field(body, 'stream') === true,
    input: system !== undefined ? [system, messages] : messages,
  };
}
