import { context, createContextKey, propagation, type Context } from '@opentelemetry/api';
import { clampBaggageAttribution } from './attributionInput.js';

/**
 * Who a call is charged to, read from OTel context (and baggage, for values that crossed a
 * process boundary): the task / session / agent ids, and the attribution dimensions user, team,
 * API key (only ever its hash, see apiKeyHash), tags and free metadata keys.
 */
export interface Attribution {
  task?: string;
  session?: string;
  agent?: string;
  user?: string;
  team?: string;
  /** `sha256:` + 16 hex digits (apiKeyHash); the key itself is never held. */
  apiKeyHash?: string;
  /** Distinct, in the order first given (at most MAX_TAGS). */
  tags?: readonly string[];
  /** Free metadata keys (at most MAX_METADATA_KEYS); stored in the record's metadata. */
  meta?: Readonly<Record<string, string>>;
}

/** The attribution dimensions (everything but the task / session / agent ids). */
export type Dimensions = Pick<Attribution, 'user' | 'team' | 'apiKeyHash' | 'tags' | 'meta'>;

/** One context entry holds the whole attribution (read with one lookup per span). */
const ATTRIBUTION_KEY = createContextKey('tollgate.attribution');
const NONE: Readonly<Attribution> = Object.freeze({});

/** Baggage entry names, so ids set in one service reach the next one with the W3C baggage header. */
export const BAGGAGE_TASK = 'tollgate.task.id';
export const BAGGAGE_SESSION = 'tollgate.session.id';
export const BAGGAGE_AGENT = 'tollgate.agent.id';
export const BAGGAGE_USER = 'tollgate.user.id';
export const BAGGAGE_TEAM = 'tollgate.team.id';
/** Only the hash travels in baggage: a value that is not one is hashed on arrival. */
export const BAGGAGE_API_KEY_HASH = 'tollgate.api_key.hash';
/** Comma-separated tags. */
export const BAGGAGE_TAGS = 'tollgate.tags';
/** Prefix of one baggage entry per metadata key: `tollgate.metadata.<key>`. */
export const BAGGAGE_METADATA_PREFIX = 'tollgate.metadata.';

const BAGGAGE = { task: BAGGAGE_TASK, session: BAGGAGE_SESSION, agent: BAGGAGE_AGENT, user: BAGGAGE_USER, team: BAGGAGE_TEAM } as const;

function own(ctx: Context): Readonly<Attribution> {
  return (ctx.getValue(ATTRIBUTION_KEY) as Readonly<Attribution> | undefined) ?? NONE;
}

/** A context carrying `id` as the task / session / agent id (the rest carries over). */
export function withAttribution(ctx: Context, kind: 'task' | 'session' | 'agent', id: string): Context {
  return ctx.setValue(ATTRIBUTION_KEY, Object.freeze({ ...own(ctx), [kind]: id }));
}

/** A context carrying `dims` on top of those already in `ctx` (see mergeDimensions). */
export function withDimensions(ctx: Context, dims: Readonly<Dimensions>): Context {
  return ctx.setValue(ATTRIBUTION_KEY, Object.freeze(mergeDimensions(own(ctx), dims)));
}

/**
 * `base` with `over` laid on it: user, team and API key of `over` win; tags are joined
 * (distinct, base first); metadata keys of `over` win. Returns `base` itself when `over` is empty.
 */
export function mergeDimensions<T extends Attribution>(base: Readonly<T>, over: Readonly<Dimensions>): T {
  if (over.user === undefined && over.team === undefined && over.apiKeyHash === undefined && over.tags === undefined && over.meta === undefined) return base as T;
  const out = { ...base } as T;
  if (over.user !== undefined) out.user = over.user;
  if (over.team !== undefined) out.team = over.team;
  if (over.apiKeyHash !== undefined) out.apiKeyHash = over.apiKeyHash;
  if (over.tags !== undefined) out.tags = base.tags === undefined ? over.tags : [...new Set([...base.tags, ...over.tags])];
  if (over.meta !== undefined) out.meta = base.meta === undefined ? over.meta : { ...base.meta, ...over.meta };
  return out;
}

/**
 * The attribution in `ctx` (default: the active context); baggage fills in what the context
 * does not carry (values set in another service, bounded as clampBaggageAttribution says). The
 * result is read-only (often the very object the context holds).
 */
export function attributionOf(ctx: Context = context.active()): Readonly<Attribution> {
  const ids = own(ctx);
  const baggage = propagation.getBaggage(ctx);
  if (baggage === undefined) return ids;
  let out: Attribution | undefined;
  const set = <K extends keyof Attribution>(kind: K, value: Attribution[K]): void => {
    out ??= { ...ids };
    out[kind] = value;
  };
  // Baggage is read only for what the context itself does not carry.
  for (const kind of ['task', 'session', 'agent', 'user', 'team'] as const) {
    if (ids[kind] === undefined) {
      const value = baggage.getEntry(BAGGAGE[kind])?.value;
      if (value !== undefined && value !== '') set(kind, value);
    }
  }
  const entries = baggage.getAllEntries();
  const from = clampBaggageAttribution(entries, { apiKey: BAGGAGE_API_KEY_HASH, tags: BAGGAGE_TAGS, metadataPrefix: BAGGAGE_METADATA_PREFIX });
  if (ids.apiKeyHash === undefined && from.apiKeyHash !== undefined) set('apiKeyHash', from.apiKeyHash);
  if (ids.tags === undefined && from.tags !== undefined) set('tags', from.tags);
  if (ids.meta === undefined && from.meta !== undefined) set('meta', from.meta);
  return out ?? ids;
}
