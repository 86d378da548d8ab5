import type { Attributes } from '@opentelemetry/api';
import type { TokenUsage } from '../../src/core/TokenUsage.js';
import {
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
} from '../../src/semconv/attributes.js';
import type { StreamAccumulator } from '../shared/StreamAccumulator.js';
import { field, stringField } from '../../src/core/fields.js';
import { openaiUsage } from './openaiUsage.js';
import { responsesFinishReason, withServerTools, withServiceTier } from './readOpenAIResult.js';

const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * Responses API stream events: the response id and model from `response.created`, one
 * output token per `response.output_text.delta` and `response.function_call_arguments.delta`,
 * and usage (with the service tier and the server-side tool calls of its output) and status
 * from the final `response.completed` / `response.incomplete` / `response.failed` event.
 */
export class ResponsesStreamAccumulator implements StreamAccumulator<unknown> {
  #id: string | undefined;
  #model: string | undefined;
  #finish: string | undefined;
  #text = '';
  #counted = 0;
  #usage: TokenUsage | undefined;

  add(event: unknown): void {
    const type = stringField(event, 'type');
    if (type === 'response.output_text.delta' || type === 'response.function_call_arguments.delta') {
      const delta = stringField(event, 'delta');
      if (delta !== undefined && delta !== '') {
        this.#counted += 1;
        if (type === 'response.output_text.delta') this.#text += delta;
      }
      return;
    }
    const response = field(event, 'response');
    if (response === undefined) return;
    this.#id = stringField(response, 'id') ?? this.#id;
    this.#model = stringField(response, 'model') ?? this.#model;
    if (type !== undefined && FINAL_EVENTS.has(type)) {
      const usage = withServerTools(withServiceTier(openaiUsage(field(response, 'usage')), response), field(response, 'output'));
      this.#usage = usage ?? this.#usage;
      this.#finish = responsesFinishReason(response);
    }
  }

  isInjected(): boolean {
    return false;
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
    if (this.#finish !== undefined) attrs[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = [this.#finish];
    return attrs;
  }

  responseModel(): string | undefined {
    return this.#model;
  }

  outputText(): string {
    return this.#text;
  }
}
