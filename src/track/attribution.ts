import { context, createContextKey, propagation, type Context } from '@opentelemetry/api';

/** Who a call is charged to, read from OTel context (and baggage, for ids that crossed a process boundary). */
export interface Attribution {
  task?: string;
  session?: string;
  agent?: string;
}

const TASK_KEY = createContextKey('tollgate.task.id');
const SESSION_KEY = createContextKey('tollgate.session.id');
const AGENT_KEY = createContextKey('tollgate.agent.id');

/** Baggage entry names, so ids set in one service reach the next one with the W3C baggage header. */
export const BAGGAGE_TASK = 'tollgate.task.id';
export const BAGGAGE_SESSION = 'tollgate.session.id';
export const BAGGAGE_AGENT = 'tollgate.agent.id';

const KEYS = { task: TASK_KEY, session: SESSION_KEY, agent: AGENT_KEY } as const;
const BAGGAGE = { task: BAGGAGE_TASK, session: BAGGAGE_SESSION, agent: BAGGAGE_AGENT } as const;

/** A context carrying `id` as the task / session / agent id. */
export function withAttribution(ctx: Context, kind: keyof Attribution, id: string): Context {
  return ctx.setValue(KEYS[kind], id);
}

function fromBaggage(ctx: Context, kind: keyof Attribution): string | undefined {
  return propagation.getBaggage(ctx)?.getEntry(BAGGAGE[kind])?.value;
}

/** The task / session / agent ids in `ctx` (default: the active context); baggage fills in ids set in another service. */
export function attributionOf(ctx: Context = context.active()): Attribution {
  const out: Attribution = {};
  let task = ctx.getValue(TASK_KEY);
  let session = ctx.getValue(SESSION_KEY);
  let agent = ctx.getValue(AGENT_KEY);
  if (typeof task !== 'string' || typeof session !== 'string' || typeof agent !== 'string') {
    // Baggage is read only for what the context itself does not carry.
    if (propagation.getBaggage(ctx) !== undefined) {
      if (typeof task !== 'string') task = fromBaggage(ctx, 'task');
      if (typeof session !== 'string') session = fromBaggage(ctx, 'session');
      if (typeof agent !== 'string') agent = fromBaggage(ctx, 'agent');
    }
  }
  if (typeof task === 'string') out.task = task;
  if (typeof session === 'string') out.session = session;
  if (typeof agent === 'string') out.agent = agent;
  return out;
}
