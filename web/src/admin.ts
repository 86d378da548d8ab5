import { ApiError, sendJson } from './api.js';
import { byId } from './dom.js';
import type { PauseState } from './types.js';

function say(text: string, ok: boolean): void {
  const msg = byId('admin-msg');
  msg.textContent = text;
  msg.dataset.ok = String(ok);
}

function refusal(err: unknown): string {
  if (err instanceof ApiError) return `Refused (${err.status}): ${err.message}`;
  return `Failed: ${err instanceof Error ? err.message : String(err)}`;
}

/** The budget form as a budget spec (empty fields left out). */
function specOf(form: HTMLFormElement): { spec: Record<string, unknown>; replace: boolean } {
  const data = new FormData(form);
  const spec: Record<string, unknown> = {};
  for (const name of ['id', 'scope', 'onExceed', 'fallbackModel', 'provider', 'model']) {
    const value = String(data.get(name) ?? '').trim();
    if (value !== '') spec[name] = value;
  }
  spec.maxUsd = Number(data.get('maxUsd'));
  return { spec, replace: data.get('replace') === 'on' };
}

/** Wires the budget form and the pause switch; both go through the API with the admin token. */
export function setupAdmin(onChange: () => void): { showPause: (state: PauseState) => void } {
  const form = byId<HTMLFormElement>('budget-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const { spec, replace } = specOf(form);
    const id = typeof spec.id === 'string' ? spec.id : undefined;
    const request = replace && id !== undefined ? sendJson('PUT', `/v1/budgets/${encodeURIComponent(id)}`, spec) : sendJson('POST', '/v1/budgets', spec);
    request
      .then(() => {
        say(`Saved budget ${id ?? String(spec.scope)}`, true);
        onChange();
      })
      .catch((err: unknown) => say(refusal(err), false));
  });

  let paused = false;
  const toggle = byId<HTMLButtonElement>('pause-toggle');
  const badge = byId('pause-badge');
  const showPause = (state: PauseState): void => {
    paused = state.paused;
    toggle.textContent = paused ? 'Resume calls' : 'Pause all calls';
    toggle.setAttribute('aria-pressed', String(paused));
    toggle.classList.toggle('danger', !paused);
    badge.hidden = !paused;
    badge.textContent = paused ? `PAUSED: ${state.reason ?? ''}` : '';
  };
  toggle.addEventListener('click', () => {
    const reason = byId<HTMLInputElement>('pause-reason').value.trim();
    const request = paused ? sendJson<PauseState>('POST', '/v1/resume') : sendJson<PauseState>('POST', '/v1/pause', reason === '' ? undefined : { reason });
    request
      .then((state) => {
        showPause(state);
        say(state.paused ? 'Every call is refused until resumed' : 'Calls are admitted again', true);
        onChange();
      })
      .catch((err: unknown) => say(refusal(err), false));
  });
  return { showPause };
}
