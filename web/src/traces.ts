import { getJson } from './api.js';
import { byId, el } from './dom.js';
import { duration, usd } from './format.js';
import type { TraceDetail, TraceSummary } from './types.js';

const COST_ATTRIBUTE = 'gen_ai.usage.cost';

async function showTrace(id: string): Promise<void> {
  const trace = await getJson<TraceDetail>(`/v1/traces/${encodeURIComponent(id)}`);
  const rows = byId('span-rows');
  const depth = new Map<string, number>();
  const sorted = [...trace.spans];
  rows.replaceChildren(
    ...sorted.map((s) => {
      const d = s.parentSpanId !== undefined ? (depth.get(s.parentSpanId) ?? 0) + 1 : 0;
      depth.set(s.spanId, d);
      const cost = s.attributes[COST_ATTRIBUTE];
      const model = s.attributes['gen_ai.response.model'] ?? s.attributes['gen_ai.request.model'];
      return el(
        'tr',
        {},
        el('td', { class: `depth-${Math.min(d, 5)}` }, s.name),
        el('td', {}, model === undefined ? '' : String(model)),
        el('td', { class: 'num' }, typeof cost === 'number' ? usd(cost) : ''),
        el('td', { class: 'num' }, Math.round(s.durationMs)),
      );
    }),
  );
  if (sorted.length === 0) rows.append(el('tr', {}, el('td', { colspan: '4', class: 'muted' }, 'Spans no longer held (only the most recent traces keep theirs)')));
}

/** The recent traces; choosing one lists its spans with the cost of each. */
export async function renderTraces(): Promise<void> {
  const { traces } = await getJson<{ traces: TraceSummary[] }>('/v1/traces?limit=30');
  const rows = byId('trace-rows');
  rows.replaceChildren(
    ...traces.map((t) => {
      const button = el('button', { type: 'button', class: 'link' }, t.rootName);
      button.addEventListener('click', () => void showTrace(t.traceId));
      return el('tr', { class: t.status === 'ERROR' ? 'error' : '' }, el('td', {}, button), el('td', { class: 'num' }, t.spanCount), el('td', { class: 'num' }, usd(t.costUsd)), el('td', {}, duration(t.durationMs)));
    }),
  );
  if (traces.length === 0) rows.append(el('tr', {}, el('td', { colspan: '4', class: 'muted' }, 'No traces yet')));
}
