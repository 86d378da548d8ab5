import type { Attributes } from '@opentelemetry/api';
import type { TokenUsage } from '../../src/core/TokenUsage.js';
import {
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
} from '../../src/semconv/attributes.js';
import type { StreamAccumulator } from '../shared/StreamAccumulator.js';
import { field, numberField, stringField } from '../../src/core/fields.js';
import { openaiUsage } from './openaiUsage.js';
import { withServiceTier } from './readOpenAIResult.js';

/**
 * Chat-completion chunks: id, model, finish reasons per choice, text, one output token
 * per content or tool-call argument delta (OpenAI streams a token per chunk), and the usage
 * of the final chunk (with the service tier the chunks state). With `usageInjected`, the `usage: null` the server adds to every chunk is
 * removed (the caller did not ask for it) and the usage-only chunk is marked injected.
 */
export class ChatStreamAccumulator implements StreamAccumulator<unknown> {
  readonly #usageInjected: boolean;
  #id: string | undefined;
  #model: string | undefined;
  readonly #finish = new Map<number, string>();
  #text = '';
  #counted = 0;
  #usage: TokenUsage | undefined;
  #tier: string | undefined;

  constructor(usageInjected: boolean) {
    this.#usageInjected = usageInjected;
  }

  add(chunk: unknown): void {
    this.#id ??= stringField(chunk, 'id');
    this.#model ??= stringField(chunk, 'model');
    this.#tier = stringField(chunk, 'service_tier') ?? this.#tier;
    const usage = field(chunk, 'usage');
    if (usage === null && this.#usageInjected) delete (chunk as Record<string, unknown>)['usage'];
    const reported = withServiceTier(openaiUsage(usage), { service_tier: this.#tier });
    if (reported !== undefined) this.#usage = reported;
    const choices = field(chunk, 'choices');
    if (!Array.isArray(choices)) return;
    for (const choice of choices) {
      const delta = field(choice, 'delta');
      const content = stringField(delta, 'content');
      if (content !== undefined && content !== '') {
        this.#counted += 1;
        this.#text += content;
      }
      const toolCalls = field(delta, 'tool_calls');
      if (Array.isArray(toolCalls)) {
        for (const call of toolCalls) {
          const args = stringField(field(call, 'function'), 'arguments');
          if (args !== undefined && args !== '') this.#counted += 1;
        }
      }
      const reason = stringField(choice, 'finish_reason');
      if (reason !== undefined) this.#finish.set(numberField(choice, 'index') ?? 0, reason);
    }
  }

  isInjected(chunk: unknown): boolean {
    if (!this.#usageInjected) return false;
    const choices = field(chunk, 'choices');
    return Array.isArray(choices) && choices.length === 0 && openaiUsage(field(chunk, 'usage')) !== undefined;
  }

  reportedUsage(): TokenUsage | undefined {
    return this.#usage;
  }

  runningUsage(estimatedInput: number): TokenUsage {
    return this.#usage ?? { input: estimatedInput, output: this.#counted };
  }

  attributes(): Attributes {
    const attrs: Attributes = {};
    if (this.#id !== undefined) attrs[ATTR_GEN_AI_RESPONSE_ID] = this.#id;
    if (this.#model !== undefined) attrs[ATTR_GEN_AI_RESPONSE_MODEL] = this.#model;
    if (this.#finish.size > 0) {
      attrs[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = [...this.#finish.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    }
    return attrs;
  }

  responseModel(): string | undefined {
    return this.#model;
  }

  outputText(): string {
    return this.#text;
  }
}
