import uPlot from 'uplot';
import { getJson } from './api.js';
import { byId, el } from './dom.js';
import { percent, usd } from './format.js';
import type { UsageAnswer } from './types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MAX_SERIES = 6;
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#6b7280'];

let chart: uPlot | undefined;

/** Bucket starts: 24 hours ending with the current hour, or 30 UTC days ending today. */
function buckets(range: string, now: number): { starts: number[]; size: number } {
  const size = range === '30d' ? DAY : HOUR;
  const last = Math.floor(now / size) * size;
  const n = range === '30d' ? 30 : 24;
  return { starts: Array.from({ length: n }, (_, i) => last - (n - 1 - i) * size), size };
}

/** Spend per bucket for the top keys of `by` (the rest summed as "other"), drawn with uPlot. */
export async function renderChart(now: number): Promise<void> {
  const by = byId<HTMLSelectElement>('chart-by').value;
  const range = byId<HTMLSelectElement>('chart-range').value;
  const { starts, size } = buckets(range, now);
  const answers = await Promise.all(starts.map((s) => getJson<UsageAnswer>(`/v1/usage?by=${by}&since=${s}&until=${s + size}`)));
  const totals = new Map<string, number>();
  for (const a of answers) for (const g of a.groups) totals.set(g.key, (totals.get(g.key) ?? 0) + g.costUsd);
  const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, MAX_SERIES).map(([k]) => k);
  const other = totals.size > top.length;
  const keys = other ? [...top, 'other'] : top;
  const data: number[][] = [starts.map((s) => s / 1000)];
  for (const key of keys) {
    data.push(answers.map((a) => a.groups.filter((g) => (key === 'other' ? !top.includes(g.key) : g.key === key)).reduce((sum, g) => sum + g.costUsd, 0)));
  }
  const host = byId('chart');
  const width = Math.max(280, host.clientWidth);
  const styles = getComputedStyle(document.body);
  const ink = styles.getPropertyValue('--muted').trim() || '#888';
  const grid = styles.getPropertyValue('--line').trim() || '#8884';
  const opts: uPlot.Options = {
    width,
    height: 260,
    series: [
      { label: range === '30d' ? 'day' : 'hour' },
      ...keys.map((key, i) => ({ label: key === '' ? '(none)' : key, stroke: PALETTE[i % PALETTE.length] ?? '#888', width: 2, value: (_u: uPlot, v: number | null) => (v === null ? '–' : usd(v)) })),
    ],
    axes: [
      { stroke: ink, grid: { stroke: grid } },
      { stroke: ink, grid: { stroke: grid }, values: (_u, vals) => vals.map((v) => usd(v)), size: 70 },
    ],
    scales: { x: { time: true } },
    legend: { live: true },
  };
  chart?.destroy();
  host.replaceChildren();
  if (keys.length === 0) {
    host.append(el('p', { class: 'muted' }, 'No spend in this range yet.'));
    chart = undefined;
    return;
  }
  chart = new uPlot(opts, data as uPlot.AlignedData, host);
}

/** Resizes the chart to its box (window resize, phone rotation). */
export function resizeChart(): void {
  const host = byId('chart');
  chart?.setSize({ width: Math.max(280, host.clientWidth), height: 260 });
}

function topList(id: string, answer: UsageAnswer): void {
  const list = byId(id);
  const groups = answer.groups.filter((g) => g.key !== '').sort((a, b) => b.costUsd - a.costUsd).slice(0, 10);
  list.replaceChildren(...groups.map((g) => el('li', {}, el('span', {}, g.key), el('span', { class: 'num' }, usd(g.costUsd)))));
  if (groups.length === 0) list.append(el('li', { class: 'muted' }, 'none yet'));
}

/** Top tasks and sessions, and the share of input tokens read from cache per model (30 days). */
export async function renderBreakdowns(now: number): Promise<void> {
  const since = now - 30 * DAY;
  const [tasks, sessions, models] = await Promise.all([
    getJson<UsageAnswer>(`/v1/usage?by=task&since=${since}`),
    getJson<UsageAnswer>(`/v1/usage?by=session&since=${since}`),
    getJson<UsageAnswer>(`/v1/usage?by=model&since=${since}`),
  ]);
  topList('top-tasks', tasks);
  topList('top-sessions', sessions);
  const cached = byId('cached');
  const rows = models.groups.filter((g) => g.inputTokens > 0).sort((a, b) => b.costUsd - a.costUsd);
  cached.replaceChildren(...rows.map((g) => el('li', {}, el('span', {}, g.key), el('span', { class: 'num' }, percent(g.cacheReadTokens / g.inputTokens)))));
  if (rows.length === 0) cached.append(el('li', { class: 'muted' }, 'none yet'));
}
