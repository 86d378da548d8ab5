import { context, createContextKey, propagation, type Context } from '@opentelemetry/api';

/** Who a call is charged to, read from OTel context (and baggage, for ids that crossed a process boundary). */
export interface Attribution {
  task?: string;
  session?: string;
  agent?: string;
}

/** One context entry holds all three ids (read with one lookup per span). */
const ATTRIBUTION_KEY = createContextKey('tollgate.attribution');
const NONE: Readonly<Attribution> = Object.freeze({});

/** Baggage entry names, so ids set in one service reach the next one with the W3C baggage header. */
export const BAGGAGE_TASK = 'tollgate.task.id';
export const BAGGAGE_SESSION = 'tollgate.session.id';
export const BAGGAGE_AGENT = 'tollgate.agent.id';

const BAGGAGE = { task: BAGGAGE_TASK, session: BAGGAGE_SESSION, agent: BAGGAGE_AGENT } as const;

function own(ctx: Context): Readonly<Attribution> {
  return (ctx.getValue(ATTRIBUTION_KEY) as Readonly<Attribution> | undefined) ?? NONE;
}

/** A context carrying `id` as the task / session / agent id (the other two ids carry over). */
export function withAttribution(ctx: Context, kind: keyof Attribution, id: string): Context {
  return ctx.setValue(ATTRIBUTION_KEY, Object.freeze({ ...own(ctx), [kind]: id }));
}

/**
 * The task / session / agent ids in `ctx` (default: the active context); baggage fills in ids
 * set in another service. The result is read-only (often the very object the context holds).
 */
export function attributionOf(ctx: Context = context.active()): Readonly<Attribution> {
  const ids = own(ctx);
  if (ids.task !== undefined && ids.session !== undefined && ids.agent !== undefined) return ids;
  const baggage = propagation.getBaggage(ctx);
  if (baggage === undefined) return ids;
  // Baggage is read only for what the context itself does not carry.
  const out: Attribution = { ...ids };
  for (const kind of ['task', 'session', 'agent'] as const) {
    if (out[kind] === undefined) {
      const value = baggage.getEntry(BAGGAGE[kind])?.value;
      if (value !== undefined) out[kind] = value;
    }
  }
  return out;
}
