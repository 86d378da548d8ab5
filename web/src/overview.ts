import { getJson, sendJson } from './api.js';
import { burnOf, paceSince } from './burnRate.js';
import { byId, el } from './dom.js';
import { dateTime, percent, usd } from './format.js';
import type { BudgetsAnswer, BudgetStatus, PauseState, UsageAnswer } from './types.js';

function utcDayStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

function utcMonthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function setTotal(id: string, answer: UsageAnswer): void {
  const node = byId(id);
  node.textContent = usd(answer.total.costUsd);
  node.dataset.usd = String(answer.total.costUsd);
  node.title = `${answer.total.calls} calls`;
}

/** Spend today, this month and in total: the `total` of /v1/usage for each range. */
export async function renderTotals(now: number): Promise<void> {
  const [today, month, all] = await Promise.all([
    getJson<UsageAnswer>(`/v1/usage?by=status&since=${utcDayStart(now)}`),
    getJson<UsageAnswer>(`/v1/usage?by=status&since=${utcMonthStart(now)}`),
    getJson<UsageAnswer>('/v1/usage?by=status'),
  ]);
  setTotal('total-today', today);
  setTotal('total-month', month);
  setTotal('total-all', all);
}

function bar(s: BudgetStatus): HTMLElement {
  const limit = s.limitUsd > 0 ? s.limitUsd : 1;
  const part = (cls: string, value: number, label: string): HTMLElement =>
    el('span', { class: cls, title: `${label} ${usd(value)}`, 'data-w': String(Math.min(100, (value / limit) * 100)) });
  const wrap = el(
    'div',
    { class: 'bar', role: 'img', 'aria-label': `spent ${usd(s.spentUsd)}, reserved ${usd(s.reservedUsd)}, remaining ${usd(s.remainingUsd)} of ${usd(s.limitUsd)}` },
    part('spent', s.spentUsd, 'spent'),
    part('reserved', s.reservedUsd, 'reserved'),
  );
  // Widths through the CSSOM: the page's CSP allows no inline style attributes.
  wrap.querySelectorAll<HTMLElement>('[data-w]').forEach((span) => {
    span.style.width = `${span.dataset.w ?? '0'}%`;
  });
  return el('div', { class: 'bar-cell' }, wrap, el('small', {}, `${usd(s.spentUsd)} · ${usd(s.reservedUsd)} · ${usd(s.remainingUsd)}`));
}

function removeButton(id: string, onChange: () => void): HTMLElement {
  const button = el('button', { type: 'button', class: 'small', 'data-testid': `remove-${id}`, 'aria-label': `Remove budget ${id}` }, 'Remove');
  button.addEventListener('click', () => {
    if (!confirm(`Remove budget "${id}"?`)) return;
    sendJson('DELETE', `/v1/budgets/${encodeURIComponent(id)}`)
      .then(() => onChange())
      .catch((err: unknown) => (byId('admin-msg').textContent = `Refused: ${String(err instanceof Error ? err.message : err)}`));
  });
  return button;
}

/** What a windowed budget counter's calls cost since its pace start (the last hour), from /v1/usage with its filters. */
async function recentSpend(s: BudgetStatus, now: number): Promise<number | undefined> {
  const since = paceSince(s, now);
  if (since === undefined) return undefined;
  const params = new URLSearchParams({ by: 'status', since: String(since) });
  if (s.budget.provider !== undefined) params.set('provider', s.budget.provider);
  if (s.budget.model !== undefined) params.set('model', s.budget.model);
  if (['task', 'session', 'agent'].includes(s.budget.scope)) params.set(s.budget.scope, s.key);
  try {
    return (await getJson<UsageAnswer>(`/v1/usage?${params.toString()}`)).total.costUsd;
  } catch {
    return undefined;
  }
}

/** The budget table (one row per counter) and the pause badge; returns the pause state. */
export async function renderBudgets(now: number, onChange: () => void): Promise<PauseState> {
  const answer = await getJson<BudgetsAnswer>('/v1/budgets');
  const rows = byId('budget-rows');
  rows.replaceChildren();
  const counted = new Set(answer.status.map((s) => s.budget.id));
  const recent = await Promise.all(answer.status.map((s) => recentSpend(s, now)));
  answer.status.forEach((s, i) => {
    const burn = burnOf(s, now, recent[i]);
    const action = s.budget.onExceed === 'fallback' ? `fallback → ${s.budget.fallbackModel ?? '?'}` : s.budget.onExceed;
    const acting = s.budget.onExceed === 'deny' ? 'denying' : s.budget.onExceed === 'warn' ? 'warning' : 'falling back';
    const stateText = burn.state === 'over' ? acting : burn.state === 'near' ? `near (${percent(burn.used)})` : `ok (${percent(burn.used)})`;
    rows.append(
      el(
        'tr',
        { class: `state-${burn.state}`, 'data-budget': s.budget.id },
        el('td', {}, el('strong', {}, s.budget.id), el('br'), el('small', { class: 'muted' }, `${s.budget.scope} · ${action}`)),
        el('td', {}, s.key),
        el('td', {}, bar(s)),
        el('td', {}, usd(s.limitUsd)),
        el('td', { title: 'the pace of the last hour (or of the window so far, when shorter)' }, burn.perHour === undefined ? '–' : `${usd(burn.perHour)}/h`),
        el('td', {}, burn.capAt === undefined ? 'not this window' : burn.capAt <= now ? 'reached' : dateTime(burn.capAt)),
        el('td', {}, el('span', { class: `chip ${burn.state}` }, stateText)),
        el('td', {}, removeButton(s.budget.id, onChange)),
      ),
    );
  });
  for (const b of answer.budgets.filter((x) => !counted.has(x.id))) {
    rows.append(el('tr', { 'data-budget': b.id }, el('td', {}, el('strong', {}, b.id), el('br'), el('small', { class: 'muted' }, `${b.scope} · ${b.onExceed}`)), el('td', { colspan: '6', class: 'muted' }, `${usd(b.maxUsd)} per ${b.scope}: no counter yet`), el('td', {}, removeButton(b.id, onChange))));
  }
  if (rows.childElementCount === 0) rows.append(el('tr', {}, el('td', { colspan: '8', class: 'muted' }, 'No budgets. Add one under Admin, in the config, or with `tollgate budgets add`.')));
  return answer.pause ?? { paused: false };
}
