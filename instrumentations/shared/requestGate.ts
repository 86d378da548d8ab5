/** Fields merged into the request body once the call is admitted (e.g. a fallback `model`). */
export type BodyPatch = Record<string, unknown>;

/** What the SDK waits for before it serialises and sends one request: an admission to come, or one already decided. */
export type RequestGate = Promise<BodyPatch | undefined> | BodyPatch;

const GATE = Symbol('tollgate.requestGate');
const INSTALLED = Symbol('tollgate.requestGateInstalled');

type PrepareOptions = (options: Record<PropertyKey, unknown>) => Promise<void>;

/**
 * Makes a Stainless-generated client (openai, @anthropic-ai/sdk) wait for a gate before
 * sending a request that carries one. It wraps the client instance's own
 * `prepareOptions` hook (called by the SDK after `create()` returned its APIPromise and
 * before the body is serialised), so `create()` still returns the SDK's APIPromise
 * synchronously while admission may be asynchronous. A rejected gate rejects the
 * APIPromise with the gate's error and nothing is sent. Returns false when the client
 * has no such hook (then calls are not gated).
 */
export function installRequestGate(client: object): boolean {
  const target = client as Record<PropertyKey, unknown>;
  if (target[INSTALLED] === true) return true;
  const original = target['prepareOptions'];
  if (typeof original !== 'function') return false; // the caller reports it
  const prepare = original as PrepareOptions;
  const apply = (options: Record<PropertyKey, unknown>, patch: BodyPatch | undefined): void => {
    const body = options['body'];
    if (patch !== undefined && body !== null && typeof body === 'object') options['body'] = { ...body, ...patch };
  };
  const gated = function (this: unknown, options: Record<PropertyKey, unknown>): Promise<void> {
    const gate = options[GATE] as RequestGate | undefined;
    if (gate === undefined) return prepare.call(this, options);
    if (!(gate instanceof Promise)) {
      // Decided before the call was sent: no promise to wait for.
      apply(options, gate);
      return prepare.call(this, options);
    }
    return gate.then((patch) => {
      apply(options, patch);
      return prepare.call(this, options);
    });
  };
  Object.defineProperty(target, 'prepareOptions', { value: gated, writable: true, configurable: true });
  Object.defineProperty(target, INSTALLED, { value: true });
  return true;
}

/** Request options carrying `gate` (the SDK copies own symbol keys into its final request options). */
export function withGate<O extends object>(options: O | undefined, gate: RequestGate): O {
  return { ...(options ?? ({} as O)), [GATE]: gate };
}
