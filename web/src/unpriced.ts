import { getJson } from './api.js';
import { byId, el } from './dom.js';
import type { StatusAnswer, UnpricedSeries } from './types.js';

/** The override field that prices a unit (README "Pricing"), shown as the unit's tooltip. */
const FIELDS: Readonly<Record<string, string>> = {
  model: 'input_per_m and output_per_m',
  cache_write_1h: 'cache_write_1h_per_m',
  input_audio: 'input_audio_per_m',
  output_audio: 'output_audio_per_m',
  web_search: 'web_search_per_call',
  file_search: 'file_search_per_call',
  code_interpreter: 'code_interpreter_per_call',
  image_generation: 'image_generation_per_call',
  code_execution: 'code_execution_per_call',
};

function unitChip(unit: string, calls: number): HTMLElement {
  const field = FIELDS[unit];
  const label = unit === 'model' ? 'model (no price)' : unit;
  return el('span', { class: 'chip unit', 'data-unit': unit, ...(field === undefined ? {} : { title: `price it with ${field} in pricing.overrides` }) }, `${label} ×${calls}`);
}

function row(s: UnpricedSeries): HTMLElement {
  const units = s.units ?? [];
  return el(
    'tr',
    { 'data-unpriced': `${s.provider}/${s.model}` },
    el('td', {}, s.provider),
    el('td', {}, s.model),
    el('td', { class: 'num' }, s.calls.toLocaleString('en-US')),
    el('td', {}, ...(units.length === 0 ? ['–'] : units.map((u) => unitChip(u.unit, u.calls)))),
  );
}

/** The calls priced by policy instead of price data (`unpricedCalls` of /v1/status), by provider, model and unit. */
export async function renderUnpriced(): Promise<void> {
  const answer = await getJson<StatusAnswer>('/v1/status');
  const series = answer.unpricedCalls ?? [];
  const rows = byId('unpriced-rows');
  rows.replaceChildren(...series.map(row));
  if (series.length === 0) rows.append(el('tr', {}, el('td', { colspan: '4', class: 'muted' }, 'None: every call so far was priced from price data.')));
  byId('unpriced-count').textContent = series.length === 0 ? '' : `${series.reduce((n, s) => n + s.calls, 0).toLocaleString('en-US')} calls`;
}
