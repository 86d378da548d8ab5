import { context, INVALID_SPANID, SpanKind, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { newCallId } from '../core/callId.js';
import { attributionOf, withAttribution, withDimensions } from '../core/attribution.js';
import { resolveDimensions, type AttributionInput } from '../core/attributionInput.js';
import type { BudgetExceededError } from '../core/BudgetExceededError.js';
import { errorType } from '../core/errorType.js';
import { isPromise, tapFailure } from '../core/maybePromise.js';
import { safeJson } from '../core/safeJson.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import type { BudgetEngine } from '../budget/BudgetEngine.js';
import type { FinishedCall } from '../budget/CallTypes.js';
import {
  CONTRACT_OPERATION,
  MEMORY_OPERATION,
  METADATA_CONTRACT,
  METADATA_CONTRACT_RESULT,
  METADATA_MEMORY_OPERATION,
  METADATA_TOOL,
} from '../metrics/UsageKinds.js';
import { inferProvider } from '../pricing/providerNames.js';
import {
  ATTR_GEN_AI_AGENT_ID,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_TOLLGATE_CONTRACT_NAME,
  ATTR_TOLLGATE_CONTRACT_RESULT,
  ATTR_TOLLGATE_MEMORY_OPERATION,
  ATTR_TOLLGATE_MEMORY_STORE,
  ATTR_TOLLGATE_SPAN_KIND,
  ATTR_TOLLGATE_TASK_ID,
  ATTR_TOLLGATE_TURN,
  ATTR_TOLLGATE_TOOL_STATUS,
  ATTR_TOLLGATE_WRAPPER,
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  GEN_AI_OPERATION_INVOKE_AGENT,
} from '../semconv/attributes.js';
import type { CallDriver, CallOutcome, DrivenCall } from './CallDriver.js';
import { attributionAttributes } from './requestAttributes.js';
import type { TollgateHandle } from './TollgateHandle.js';
import { withSpan } from './withSpan.js';

/** Usage a model call reports, with optional response details. */

/** Span names of tollgate.task() and tollgate.turn(): fixed, with the id and number as attributes (low cardinality). */
export const TASK_SPAN_NAME = `${GEN_AI_OPERATION_INVOKE_AGENT} task`;
export const TURN_SPAN_NAME = `${GEN_AI_OPERATION_INVOKE_AGENT} turn`;

export interface ReportedUsage extends TokenUsage {
  responseModel?: string;
  responseId?: string;
  /** A cost the provider reported itself (USD); it wins over the computed one. */
  costUsd?: number;
}

/** Per-call attribution: `user`, `team`, `apiKey` (kept only hashed), `tags`, `metadata` (see AttributionInput). */
export interface LlmCallOptions<R = unknown> extends AttributionInput {
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

export interface EmbeddingCallOptions<R = unknown> extends AttributionInput {
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
  /**
   * The output limit to send: the caller's `maxTokens`, or, when it set none and a deny budget
   * applies, the output the reservation covers (pass it as max_tokens so the provider stops there).
   */
  readonly maxTokens: number | undefined;
  setUsage(usage: ReportedUsage): void;
  /** Records the completion text (only when content capture is on). */
  setOutput(output: unknown): void;
  /**
   * For a streamed call: the usage so far (output tokens counted). Throws BudgetExceededError when
   * the call has run past what its reservation covers; stop reading the stream then.
   */
  check(usage: TokenUsage): void;
}

export interface ToolOptions {
  callId?: string;
  attributes?: Attributes;
}

export type MemoryOperation = 'read' | 'write' | 'delete' | 'search';

/** A contract check returns a boolean or a verdict. */
export type ContractVerdict = boolean | { pass: boolean; reason?: string };

/** What the wrappers need: the call driver for model calls, the engine to record activities. */
export interface TrackerDeps {
  handle: TollgateHandle;
  calls: CallDriver;
  engine: BudgetEngine;
}

/**
 * Wrappers that turn an application's own calls into spans and records: llm and embedding go
 * through the call driver (admitted, priced and settled by the engine); tool, memory and contract
 * are recorded with their outcome; task / session / agent / turn set the attribution and parent
 * spans, so a task's trace holds every call under it.
 */
export class Tracker {
  private readonly handle: TollgateHandle;
  private readonly calls: CallDriver;
  private readonly engine: BudgetEngine;

  constructor(deps: TrackerDeps) {
    this.handle = deps.handle;
    this.calls = deps.calls;
    this.engine = deps.engine;
  }

  /**
   * A model call. Starts `chat {model}` (CLIENT), admitted before `fn` runs: a deny throws
   * BudgetExceededError without calling `fn`; a fallback hands `fn` the fallback model.
   */
  llm<R>(options: LlmCallOptions<R>, fn: (call: LlmCall) => R | Promise<R>): Promise<R> {
    return this.modelCall(options.operation ?? GEN_AI_OPERATION_CHAT, options, fn);
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
    return this.activity(`${GEN_AI_OPERATION_EXECUTE_TOOL} ${name}`, attributes, GEN_AI_OPERATION_EXECUTE_TOOL, { [METADATA_TOOL]: name }, (span) =>
      tapFailure(fn, () => span.setAttribute(ATTR_TOLLGATE_TOOL_STATUS, 'failure')),
      (span) => span.setAttribute(ATTR_TOLLGATE_TOOL_STATUS, 'success'),
    );
  }

  /** A memory operation (read / write / delete / search) on a named store. */
  memory<R>(operation: MemoryOperation, fn: () => R, options: { store?: string; attributes?: Attributes } = {}): R {
    const attributes: Attributes = { ...options.attributes, [ATTR_TOLLGATE_MEMORY_OPERATION]: operation, [ATTR_TOLLGATE_WRAPPER]: 'memory' };
    if (options.store !== undefined) attributes[ATTR_TOLLGATE_MEMORY_STORE] = options.store;
    return this.activity(`memory ${operation}`, attributes, MEMORY_OPERATION, { [METADATA_MEMORY_OPERATION]: operation }, () => fn());
  }

  /**
   * A contract check. `fn` returns true/false or `{ pass, reason }`; the span records
   * `tollgate.contract.result` pass or fail. A throw counts as a failed check and is rethrown.
   */
  contract<R extends ContractVerdict | Promise<ContractVerdict>>(name: string, fn: () => R): R {
    const attributes: Attributes = { [ATTR_TOLLGATE_CONTRACT_NAME]: name, [ATTR_TOLLGATE_WRAPPER]: 'contract' };
    const metadata: Record<string, string> = { [METADATA_CONTRACT]: name, [METADATA_CONTRACT_RESULT]: 'fail' };
    return this.activity(
      `contract ${name}`,
      attributes,
      CONTRACT_OPERATION,
      metadata,
      (span) => {
        span.setAttribute(ATTR_TOLLGATE_CONTRACT_RESULT, 'fail'); // until a verdict says otherwise
        return fn();
      },
      (span, verdict) => {
        const pass = typeof verdict === 'boolean' ? verdict : verdict.pass;
        metadata[METADATA_CONTRACT_RESULT] = pass ? 'pass' : 'fail';
        span.setAttribute(ATTR_TOLLGATE_CONTRACT_RESULT, pass ? 'pass' : 'fail');
        if (typeof verdict === 'object' && verdict.reason !== undefined) span.setAttribute('tollgate.contract.reason', verdict.reason);
      },
    );
  }

  /**
   * Runs `fn` as task `id`: an `invoke_agent task` span (the id in `tollgate.task.id`, never in the
   * name, so span names stay few), and every call inside is charged to the task (and to the user,
   * team, API key, tags and metadata of `options`, when given).
   */
  task<R>(id: string, fn: () => R, options?: AttributionInput): R {
    const parent = withAttribution(scoped(options, 'tollgate.task() options'), 'task', id);
    const attributes: Attributes = { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_INVOKE_AGENT, [ATTR_TOLLGATE_SPAN_KIND]: 'task', [ATTR_TOLLGATE_TASK_ID]: id };
    return withSpan(this.handle.tracer, TASK_SPAN_NAME, { kind: SpanKind.INTERNAL, attributes }, () => fn(), undefined, parent);
  }

  /** Runs `fn` in session `id` (no span: a session outlives any one trace; calls carry the id). */
  session<R>(id: string, fn: () => R, options?: AttributionInput): R {
    return context.with(withAttribution(scoped(options, 'tollgate.session() options'), 'session', id), fn);
  }

  /**
   * Runs `fn` with every call inside attributed to `dims` (user, team, API key, tags, metadata),
   * on top of those of enclosing scopes; no span. Throws AttributionError for malformed input.
   */
  attribute<R>(dims: AttributionInput, fn: () => R): R {
    return context.with(scoped(dims, 'tollgate.attribute() dimensions'), fn);
  }

  /** Runs `fn` as agent `name`: an `invoke_agent {name}` span; calls inside are charged to the agent. */
  agent<R>(name: string, fn: () => R, options: { id?: string } & AttributionInput = {}): R {
    const id = options.id ?? name;
    const parent = withAttribution(scoped(options, 'tollgate.agent() options'), 'agent', id);
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_INVOKE_AGENT,
      [ATTR_GEN_AI_AGENT_NAME]: name,
      [ATTR_GEN_AI_AGENT_ID]: id,
    };
    return withSpan(this.handle.tracer, `${GEN_AI_OPERATION_INVOKE_AGENT} ${name}`, { kind: SpanKind.INTERNAL, attributes }, () => fn(), undefined, parent);
  }

  /** One conversation turn: an `invoke_agent turn` span (the number in `tollgate.turn`) grouping the calls of that turn. */
  turn<R>(n: number | string, fn: () => R): R {
    const attributes: Attributes = { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_INVOKE_AGENT, [ATTR_TOLLGATE_SPAN_KIND]: 'turn', [ATTR_TOLLGATE_TURN]: String(n) };
    return withSpan(this.handle.tracer, TURN_SPAN_NAME, { kind: SpanKind.INTERNAL, attributes }, () => fn());
  }

  private async modelCall<R>(operation: string, options: LlmCallOptions<R>, fn: (call: LlmCall) => R | Promise<R>): Promise<R> {
    const spec = {
      operation,
      provider: options.provider ?? inferProvider(options.model),
      model: options.model,
      maxTokens: operation === GEN_AI_OPERATION_EMBEDDINGS ? 0 : options.maxTokens,
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(options.inputTokens !== undefined ? { inputTokens: options.inputTokens } : {}),
      attributes: { ...options.attributes, [ATTR_TOLLGATE_WRAPPER]: operation },
      ...(hasDimensions(options) ? { dimensions: resolveDimensions(options, `tollgate.${operation === GEN_AI_OPERATION_EMBEDDINGS ? 'embedding' : 'llm'}() options`) } : {}),
    };
    const driven = this.calls.begin(spec);
    const ready = driven.ready;
    if (isPromise(ready)) await ready; // may throw the refusal: fn is never called
    const call = new ModelCall(driven, options.model, options.maxTokens ?? driven.outputLimit, this.handle.captureContent);
    try {
      const returned = context.with(driven.context, fn, undefined, call);
      const result = isPromise(returned) ? await returned : returned;
      let usage = call.usage;
      if (options.usage !== undefined) {
        try {
          usage = options.usage(result) ?? usage;
        } catch {
          // A usage reader that fails leaves the call charged from estimates, never failed.
        }
      }
      driven.succeed(outcomeOf(usage, call.output));
      return result;
    } catch (err: unknown) {
      // A stream cut at its reservation is a completed call (status cost_exceeded), charged what it ran to.
      if (err === call.cut) driven.succeed({ ...outcomeOf(call.usage ?? call.running, call.output), usageSource: 'estimated', status: 'cost_exceeded' });
      else driven.fail(err, outcomeOf(call.usage, call.output));
      throw err;
    }
  }

  /** A span for an activity (tool, memory, contract) that is recorded with its outcome when it ends. */
  private activity<R>(
    name: string,
    attributes: Attributes,
    operation: string,
    metadata: Record<string, string>,
    fn: (span: Span) => R,
    onResult?: (span: Span, result: Awaited<R>) => void,
  ): R {
    const parent = context.active();
    const attribution = attributionOf(parent);
    Object.assign(attributes, attributionAttributes(attribution));
    let spanOf: Span | undefined;
    const record = (errored: boolean, err?: unknown): void => {
      const span = spanOf as Span;
      const sc = span.spanContext();
      const valid = sc.spanId !== INVALID_SPANID;
      const call: FinishedCall = {
        id: valid ? sc.spanId : newCallId(),
        provider: '',
        model: '',
        operation,
        usageSource: 'none',
        status: errored ? 'error' : 'ok',
        metadata: { ...metadata },
        ...attribution,
        ...(valid ? { traceId: sc.traceId, spanId: sc.spanId } : {}),
      };
      if (err !== undefined) call.errorType = errorType(err);
      this.engine.finish(undefined, call);
    };
    return withSpan(
      this.handle.tracer,
      name,
      { kind: SpanKind.INTERNAL, attributes },
      (span) => {
        spanOf = span;
        return tapFailure(() => fn(span), (err) => record(true, err));
      },
      (span, result) => {
        // Recorded even when reading the result fails (a contract check that returned no verdict counts as failed).
        try {
          onResult?.(span, result);
        } finally {
          record(false);
        }
      },
      parent,
    );
  }
}

/** Whether any attribution field is given. */
function hasDimensions(o: AttributionInput): boolean {
  return o.user !== undefined || o.team !== undefined || o.apiKey !== undefined || o.tags !== undefined || o.metadata !== undefined;
}

/** The active context with the attribution of `input` laid on it (itself when there is none). */
function scoped(input: AttributionInput | undefined, where: string): Context {
  const ctx = context.active();
  return input === undefined || !hasDimensions(input) ? ctx : withDimensions(ctx, resolveDimensions(input, where));
}

function outcomeOf(usage: ReportedUsage | undefined, output: unknown): CallOutcome {
  const outcome: CallOutcome = {};
  if (usage !== undefined) {
    outcome.usage = usage;
    if (usage.responseModel !== undefined) outcome.responseModel = usage.responseModel;
    if (usage.responseId !== undefined) outcome.responseId = usage.responseId;
    if (usage.costUsd !== undefined) outcome.providerCostUsd = usage.costUsd;
  }
  if (output !== undefined) outcome.output = output;
  return outcome;
}

/** The LlmCall a wrapped function gets. */
class ModelCall implements LlmCall {
  usage: ReportedUsage | undefined;
  output: unknown;
  /** The usage last passed to check(), and the error it cut the call with. */
  running: TokenUsage | undefined;
  cut: BudgetExceededError | undefined;

  constructor(
    private readonly driven: DrivenCall,
    readonly requestedModel: string,
    readonly maxTokens: number | undefined,
    private readonly captureContent: boolean,
  ) {}

  get span(): Span {
    return this.driven.span;
  }

  get model(): string {
    return this.driven.model;
  }

  setUsage(usage: ReportedUsage): void {
    this.usage = usage;
  }

  setOutput(output: unknown): void {
    if (this.captureContent) {
      this.output = output;
      this.driven.set({ [ATTR_GEN_AI_OUTPUT_MESSAGES]: safeJson(output) });
    }
  }

  check(usage: TokenUsage): void {
    this.running = usage;
    const cut = this.driven.check(usage);
    if (cut !== undefined) {
      this.cut = cut;
      throw cut;
    }
  }
}
