import type { Attributes } from '@opentelemetry/api';
import type { TokenUsage } from '../../src/core/TokenUsage.js';
import {
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
} from '../../src/semconv/attributes.js';
import type { StreamAccumulator } from '../shared/StreamAccumulator.js';
import { field, numberField, stringField } from '../../src/core/fields.js';
import { anthropicUsage } from './anthropicUsage.js';

/**
 * Anthropic message stream events: id, model and input/cache usage from `message_start`,
 * text from `content_block_delta` (output tokens counted with `countTokens`), and the
 * final `output_tokens` (plus any non-null input, cache and server-tool fields) from `message_delta`.
 */
export class AnthropicStreamAccumulator implements StreamAccumulator<unknown> {
  readonly #countTokens: (text: string) => number;
  #id: string | undefined;
  #model: string | undefined;
  #stop: string | undefined;
  #startRaw: unknown;
  #start: TokenUsage | undefined;
  #final: TokenUsage | undefined;
  #text = '';
  #counted = 0;

  constructor(countTokens: (text: string) => number) {
    this.#countTokens = countTokens;
  }

  add(event: unknown): void {
    switch (stringField(event, 'type')) {
      case 'message_start': {
        const message = field(event, 'message');
        this.#id = stringField(message, 'id') ?? this.#id;
        this.#model = stringField(message, 'model') ?? this.#model;
        this.#startRaw = field(message, 'usage');
        this.#start = anthropicUsage(this.#startRaw);
        return;
      }
      case 'content_block_delta': {
        const delta = field(event, 'delta');
        const text = stringField(delta, 'text') ?? stringField(delta, 'partial_json') ?? stringField(delta, 'thinking');
        if (text !== undefined && text !== '') {
          this.#counted += this.#countTokens(text);
          if (stringField(delta, 'type') === 'text_delta') this.#text += text;
        }
        return;
      }
      case 'message_delta': {
        this.#stop = stringField(field(event, 'delta'), 'stop_reason') ?? this.#stop;
        const usage = field(event, 'usage');
        if (numberField(usage, 'output_tokens') === undefined) return;
        // message_delta's counts are cumulative; its null fields keep message_start's values.
        const merged: Record<string, unknown> = { ...(isObject(this.#startRaw) ? this.#startRaw : {}) };
        for (const [key, value] of Object.entries(usage as Record<string, unknown>)) if (value !== null && value !== undefined) merged[key] = value;
        this.#final = anthropicUsage(merged);
        return;
      }
      default:
        return;
    }
  }

  isInjected(): boolean {
    return false;
  }

  reportedUsage(): TokenUsage | undefined {
    return this.#final;
  }

  runningUsage(estimatedInput: number): TokenUsage {
    if (this.#final !== undefined) return this.#final;
    const start = this.#start;
    if (start === undefined) return { input: estimatedInput, output: this.#counted };
    return { ...start, output: Math.max(start.output, this.#counted) };
  }

  attributes(): Attributes {
    const attrs: Attributes = {};
    if (this.#id !== undefined) attrs[ATTR_GEN_AI_RESPONSE_ID] = this.#id;
    if (this.#model !== undefined) attrs[ATTR_GEN_AI_RESPONSE_MODEL] = this.#model;
    if (this.#stop !== undefined) attrs[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = [this.#stop];
    return attrs;
  }

  responseModel(): string | undefined {
    return this.#model;
  }

  outputText(): string {
    return this.#text;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}
