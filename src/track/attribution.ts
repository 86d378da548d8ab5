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

function read(ctx: Context, kind: keyof Attribution): string | undefined {
  const value = ctx.getValue(KEYS[kind]);
  if (typeof value === 'string') return value;
  return propagation.getBaggage(ctx)?.getEntry(BAGGAGE[kind])?.value;
}

/** The task / session / agent ids in `ctx` (default: the active context). */
export function attributionOf(ctx: Context = context.active()): Attribution {
  const out: Attribution = {};
  const task = read(ctx, 'task');
  const session = read(ctx, 'session');
  const agent = read(ctx, 'agent');
  if (task !== undefined) out.task = task;
  if (session !== undefined) out.session = session;
  if (agent !== undefined) out.agent = agent;
  return out;
}
