import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api';
import type { ContractVerdict, EmbeddingCallOptions, LlmCall, LlmCallOptions, MemoryOperation, ToolOptions } from './Tracker.js';
import type { Tracker } from './Tracker.js';

/** The wrappers of a tollgate, as `Tracker` has them. */
export type Wrappers = Pick<Tracker, 'llm' | 'embedding' | 'tool' | 'memory' | 'contract' | 'task' | 'session' | 'agent' | 'turn' | 'attribute'>;

/**
 * The wrappers of a switched-off tollgate (config `enabled = false`, TOLLGATE_ENABLED=false):
 * each runs the wrapped function directly, with no span, no admission and no record. A model
 * call gets the model and output limit it asked for; `setUsage`, `setOutput` and `check` do nothing.
 */
export class PassThroughTracker implements Wrappers {
  llm<R>(options: LlmCallOptions<R>, fn: (call: LlmCall) => R | Promise<R>): Promise<R> {
    return run(options.model, options.maxTokens, fn);
  }

  embedding<R>(options: EmbeddingCallOptions<R>, fn: (call: LlmCall) => R | Promise<R>): Promise<R> {
    return run(options.model, undefined, fn);
  }

  tool<R>(_name: string, fn: () => R, _options?: ToolOptions): R {
    return fn();
  }

  memory<R>(_operation: MemoryOperation, fn: () => R, _options?: { store?: string }): R {
    return fn();
  }

  contract<R extends ContractVerdict | Promise<ContractVerdict>>(_name: string, fn: () => R): R {
    return fn();
  }

  task<R>(_id: string, fn: () => R): R {
    return fn();
  }

  session<R>(_id: string, fn: () => R): R {
    return fn();
  }

  agent<R>(_name: string, fn: () => R, _options?: { id?: string }): R {
    return fn();
  }

  turn<R>(_n: number | string, fn: () => R): R {
    return fn();
  }

  attribute<R>(_dims: unknown, fn: () => R): R {
    return fn();
  }
}

/** Calls `fn` with a call that is not tracked (its span is the API's non-recording span). */
async function run<R>(model: string, maxTokens: number | undefined, fn: (call: LlmCall) => R | Promise<R>): Promise<R> {
  const call: LlmCall = {
    span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
    model,
    requestedModel: model,
    maxTokens,
    setUsage: () => undefined,
    setOutput: () => undefined,
    check: () => undefined,
  };
  return fn(call);
}
