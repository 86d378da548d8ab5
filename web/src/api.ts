/** An answer of the tollgate API that was not 2xx: its status and the server's `error` text. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const TOKEN_KEY = 'tollgate.token';

/** The token the user entered: kept in this tab's session storage only. */
export const token = {
  get(): string {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  },
  set(value: string): void {
    if (value === '') sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, value);
  },
};

/** Request headers with the token, when one is set. */
export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const t = token.get();
  return t === '' ? extra : { ...extra, authorization: `Bearer ${t}` };
}

async function answer<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const error = typeof body === 'object' && body !== null && 'error' in body ? String((body as { error: unknown }).error) : res.statusText;
    throw new ApiError(res.status, error);
  }
  return body as T;
}

/** GET a JSON route of the same origin. */
export async function getJson<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { headers: authHeaders(), cache: 'no-store' }));
}

/** POST / PUT / DELETE with a JSON body (or none). */
export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: authHeaders(body === undefined ? {} : { 'content-type': 'application/json' }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  return answer<T>(await fetch(path, init));
}
