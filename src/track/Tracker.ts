import { context, SpanKind, trace, type Attributes, type Span } from '@opentelemetry/api';
import { isPromise, tapFailure } from '../core/maybePromise.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import { inferProvider } from '../pricing/providerNames.js';
import {
  ATTR_GEN_AI_AGENT_ID,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_TOLLGATE_CONTRACT_NAME,
  ATTR_TOLLGATE_CONTRACT_RESULT,
  ATTR_TOLLGATE_ESTIMATE_INPUT_TOKENS,
  ATTR_TOLLGATE_MEMORY_OPERATION,
  ATTR_TOLLGATE_MEMORY_STORE,
  ATTR_TOLLGATE_PROVIDER_COST_USD,
  ATTR_TOLLGATE_TASK_ID,
  ATTR_TOLLGATE_TOOL_STATUS,
  ATTR_TOLLGATE_WRAPPER,
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  GEN_AI_OPERATION_INVOKE_AGENT,
} from '../semconv/attributes.js';
import { withAttribution } from '../core/attribution.js';
import type { TollgateHandle } from './TollgateHandle.js';
import { recordFailure, withSpan } from './withSpan.js';

/** Usage a model call reports, with optional response details. */
export interface ReportedUsage extends TokenUsage {
  responseModel?: string;
  responseId?: string;
  /** A cost the provider reported itself (USD); it wins over the computed one. */
  costUsd?: number;
}

export interface LlmCallOptions<R = unknown> {
  model: string;
  /** GenAI provider name (`openai`, `anthropic`, ...). Default: inferred from the model id. */
  provider?: string;
  /** Default 'chat'. */
  operation?: 'chat' | 'text_completion' | 'generate_content';
  /** The request's max output tokens (the worst case reserved). Default: the configured default. */
  maxTokens?: number;
  /** Messages / prompt, used for the input-token estimate (and recorded when content capture is on). */
  input?: unknown;
  /** An input-token count you already know; skips the estimate. */
  inputTokens?: number;
  /** Read usage from the result, so `fn` need not call `call.setUsage`. */
  usage?: (result: R) => ReportedUsage | undefined;
  attributes?: Attributes;
}

export interface EmbeddingCallOptions<R = unknown> {
  model: string;
  provider?: string;
  /** The text(s) to embed, for the estimate. */
  input?: unknown;
  inputTokens?: number;
  usage?: (result: R) => ReportedUsage | undefined;
  attributes?: Attributes;
}

/** What a wrapped model call sees. */
export interface LlmCall {
  readonly span: Span;
  /** The model to call: the requested one, or the fallback a budget chose. */
  readonly model: string;
  readonly requestedModel: string;
  setUsage(usage: ReportedUsage): void;
  /** Records the completion text (only when content capture is on). */
  setOutput(output: unknown): void;
}

export interface ToolOptions {
  callId?: string;
  attributes?: Attributes;
}

export type MemoryOperation = 'read' | 'write' | 'delete' | 'search';

/** A contract check returns a boolean or a verdict. */
export type ContractVerdict = boolean | { pass: boolean; reason?: string };

/**
 * Wrappers that turn an application's own calls into spans the BudgetSpanProcessor
 * admits and prices: llm, embedding, tool, memory, contract, and task / session / agent /
 * turn parents so that a task's trace holds every call under it.
 */
export class Tracker {
  /** The span name of the previous model call, and what it was made of (calls mostly repeat one model). */
  private lastName = '';
  private lastOperation = '';
  private lastModel = '';

  constructor(private readonly handle: TollgateHandle) {}

  /**
   * A model call. Starts `chat {model}` (CLIENT), which is admitted before `fn` runs: a deny
   * throws BudgetExceededError without calling `fn`; a fallback hands `fn` the fallback model.
   */
  llm<R>(options: LlmCallOptions<R>, fn: (call: LlmCall) => R | Promise<R>): Promise<R> {
    const operation = options.operation ?? GEN_AI_OPERATION_CHAT;
    return this.modelCall(operation, options, fn);
  }

  /** An embeddings call: `embeddings {model}` (CLIENT), admitted like llm(). */
  embedding<R>(options: EmbeddingCallOptions<R>, fn: (call: LlmCall) => R | Promise<R>): Promise<R> {
    return this.modelCall(GEN_AI_OPERATION_EMBEDDINGS, { ...options, maxTokens: 0 }, fn);
  }

  /** A tool execution: `execute_tool {name}` (INTERNAL), success or failure and duration. */
  tool<R>(name: string, fn: () => R, options: ToolOptions = {}): R {
    const attributes: Attributes = {
      ...options.attributes,
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EXECUTE_TOOL,
      [ATTR_GEN_AI_TOOL_NAME]: name,
      [ATTR_TOLLGATE_WRAPPER]: 'tool',
    };
    if (options.callId !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_ID] = options.callId;
    return withSpan(this.handle.tracer, `${GEN_AI_OPERATION_EXECUTE_TOOL} ${name}`, { kind: SpanKind.INTERNAL, attributes }, markOutcome(fn), (span) => {
      span.setAttribute(ATTR_TOLLGATE_TOOL_STATUS, 'success');
    });
  }

  /** A memory operation (read / write / delete / search) on a named store. */
  memory<R>(operation: MemoryOperation, fn: () => R, options: { store?: string; attributes?: Attributes } = {}): R {
    const attributes: Attributes = {
      ...options.attributes,
      [ATTR_TOLLGATE_MEMORY_OPERATION]: operation,
      [ATTR_TOLLGATE_WRAPPER]: 'memory',
    };
    if (options.store !== undefined) attributes[ATTR_TOLLGATE_MEMORY_STORE] = options.store;
    return withSpan(this.handle.tracer, `memory ${operation}`, { kind: SpanKind.INTERNAL, attributes }, () => fn());
  }

  /**
   * A contract check. `fn` returns true/false or `{ pass, reason }`; the span records
   * `tollgate.contract.result` pass or fail. A throw counts as a failed check and is rethrown.
   */
  contract<R extends ContractVerdict | Promise<ContractVerdict>>(name: string, fn: () => R): R {
    const attributes: Attributes = { [ATTR_TOLLGATE_CONTRACT_NAME]: name, [ATTR_TOLLGATE_WRAPPER]: 'contract' };
    return withSpan(
      this.handle.tracer,
      `contract ${name}`,
      { kind: SpanKind.INTERNAL, attributes },
      (span) => {
        span.setAttribute(ATTR_TOLLGATE_CONTRACT_RESULT, 'fail'); // until a verdict says otherwise
        return fn();
      },
      (span, verdict) => {
        const pass = typeof verdict === 'boolean' ? verdict : verdict.pass;
        span.setAttribute(ATTR_TOLLGATE_CONTRACT_RESULT, pass ? 'pass' : 'fail');
        if (typeof verdict === 'object' && verdict.reason !== undefined) span.setAttribute('tollgate.contract.reason', verdict.reason);
      },
    );
  }

  /** Runs `fn` as task `id`: a `task {id}` span, and every call inside is charged to the task. */
  task<R>(id: string, fn: () => R): R {
    const parent = withAttribution(context.active(), 'task', id);
    return withSpan(this.handle.tracer, `task ${id}`, { kind: SpanKind.INTERNAL, attributes: { [ATTR_TOLLGATE_TASK_ID]: id } }, () => fn(), undefined, parent);
  }

  /** Runs `fn` in session `id` (no span: a session outlives any one trace; calls carry the id). */
  session<R>(id: string, fn: () => R): R {
    return context.with(withAttribution(context.active(), 'session', id), fn);
  }

  /** Runs `fn` as agent `name`: an `invoke_agent {name}` span; calls inside are charged to the agent. */
  agent<R>(name: string, fn: () => R, options: { id?: string } = {}): R {
    const id = options.id ?? name;
    const parent = withAttribution(context.active(), 'agent', id);
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_INVOKE_AGENT,
      [ATTR_GEN_AI_AGENT_NAME]: name,
      [ATTR_GEN_AI_AGENT_ID]: id,
    };
    return withSpan(this.handle.tracer, `${GEN_AI_OPERATION_INVOKE_AGENT} ${name}`, { kind: SpanKind.INTERNAL, attributes }, () => fn(), undefined, parent);
  }

  /** One conversation turn: a `turn {n}` span grouping the calls of that turn. */
  turn<R>(n: number | string, fn: () => R): R {
    return withSpan(this.handle.tracer, `turn ${n}`, { kind: SpanKind.INTERNAL, attributes: { 'tollgate.turn': String(n) } }, () => fn());
  }

  private async modelCall<R>(
    operation: string,
    options: LlmCallOptions<R>,
    fn: (call: LlmCall) => R | Promise<R>,
  ): Promise<R> {
    const handle = this.handle;
    const requestedModel = options.model;
    const provider = options.provider ?? inferProvider(requestedModel);
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: operation,
      [ATTR_GEN_AI_PROVIDER_NAME]: provider,
      [ATTR_GEN_AI_REQUEST_MODEL]: requestedModel,
      [ATTR_TOLLGATE_WRAPPER]: operation,
    };
    if (options.attributes !== undefined) {
      // The wrapper's own attributes win over the caller's of the same name.
      for (const key of Object.keys(options.attributes)) if (!(key in attributes)) attributes[key] = options.attributes[key];
    }
    if (options.maxTokens !== undefined && operation !== GEN_AI_OPERATION_EMBEDDINGS) attributes[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = options.maxTokens;
    const estimate = options.inputTokens ?? (options.input !== undefined ? handle.estimateInputTokens(requestedModel, options.input) : undefined);
    if (estimate !== undefined) attributes[ATTR_TOLLGATE_ESTIMATE_INPUT_TOKENS] = estimate;
    if (handle.captureContent && options.input !== undefined) attributes[ATTR_GEN_AI_INPUT_MESSAGES] = safeJson(options.input);

    const parent = context.active();
    // May throw BudgetExceededError: the processor refused the call before anything was sent.
    const span = handle.tracer.startSpan(this.spanName(operation, requestedModel), { kind: SpanKind.CLIENT, attributes }, parent);
    let model = requestedModel;
    try {
      // Synchronous stores decide at startSpan: no promise to wait for.
      let info = handle.admissionNow !== undefined ? handle.admissionNow(span) : await handle.admission(span);
      if (isPromise(info)) info = await info;
      if (info !== undefined) model = info.model;
      // Requests/tokens-per-minute limits: wait (or refuse) before anything is sent.
      if (handle.rateLimit !== undefined) await handle.rateLimit(provider, (estimate ?? 0) + (options.maxTokens ?? 0));
    } catch (err: unknown) {
      recordFailure(span, err);
      span.end();
      throw err;
    }
    const call = new ModelCall(span, model, requestedModel, handle.captureContent);
    try {
      const returned = context.with(trace.setSpan(parent, span), fn, undefined, call);
      const result = isPromise(returned) ? await returned : returned;
      if (options.usage !== undefined) {
        try {
          const usage = options.usage(result);
          if (usage !== undefined) setUsageAttributes(span, usage);
        } catch {
          // A usage reader that fails leaves the call unpriced (settled at 0), never failed.
        }
      }
      span.end();
      return result;
    } catch (err: unknown) {
      recordFailure(span, err);
      span.end();
      throw err;
    }
  }

  /** `{operation} {model}`, the GenAI span name. */
  private spanName(operation: string, model: string): string {
    if (operation !== this.lastOperation || model !== this.lastModel) {
      this.lastOperation = operation;
      this.lastModel = model;
      this.lastName = `${operation} ${model}`;
    }
    return this.lastName;
  }
}

/** The LlmCall a wrapped function gets (one object per call, methods on the prototype). */
class ModelCall implements LlmCall {
  constructor(
    readonly span: Span,
    readonly model: string,
    readonly requestedModel: string,
    private readonly captureContent: boolean,
  ) {}

  setUsage(usage: ReportedUsage): void {
    setUsageAttributes(this.span, usage);
  }

  setOutput(output: unknown): void {
    if (this.captureContent) this.span.setAttribute(ATTR_GEN_AI_OUTPUT_MESSAGES, safeJson(output));
  }
}

/** Writes usage on a span with the conventions' meaning (input includes cached tokens). */
export function setUsageAttributes(span: Span, usage: ReportedUsage): void {
  span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, usage.input);
  span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, usage.output);
  if (usage.cacheRead !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, usage.cacheRead);
  if (usage.cacheWrite !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cacheWrite);
  if (usage.reasoning !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, usage.reasoning);
  if (usage.responseModel !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, usage.responseModel);
  if (usage.responseId !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_ID, usage.responseId);
  if (usage.costUsd !== undefined) span.setAttribute(ATTR_TOLLGATE_PROVIDER_COST_USD, usage.costUsd);
}

function markOutcome<R>(fn: () => R): (span: Span) => R {
  return (span) => tapFailure(fn, () => span.setAttribute(ATTR_TOLLGATE_TOOL_STATUS, 'failure'));
}

function safeJson(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
