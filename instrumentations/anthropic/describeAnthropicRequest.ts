import { GEN_AI_OPERATION_CHAT } from '../../src/semconv/attributes.js';
import { field, numberField, stringField } from '../../src/core/fields.js';
import type { RequestDescription } from '../shared/RequestDescription.js';

/** What a `messages.create` body says before it is sent. */
export function describeAnthropicRequest(body: unknown): RequestDescription {
  const system = field(body, 'system');
  const messages = field(body, 'messages');
  const tools = field(body, 'tools');
  return {
    operation: GEN_AI_OPERATION_CHAT,
    provider: 'anthropic',
    model: stringField(body, 'model') ?? 'unknown',
    maxTokens: numberField(body, 'max_tokens'),
    temperature: numberField(body, 'temperature'),
    stream: field(body, 'stream') === true,
    // Tool schemas are sent as input tokens too.
    input: [system, messages, tools].filter((part) => part !== undefined),
    outputLimitField: 'max_tokens',
  };
}
