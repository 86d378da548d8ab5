import { authHeaders } from './api.js';
import { byId, el } from './dom.js';
import { clock, count, duration, percent, usd } from './format.js';
import { SseReader } from './sseReader.js';
import type { BudgetExceededEvent, ThresholdEvent, UsageEvent } from './types.js';

const MAX_ROWS = 200;

function prepend(row: HTMLElement): void {
  const rows = byId('live-rows');
  rows.prepend(row);
  while (rows.childElementCount > MAX_ROWS) rows.lastElementChild?.remove();
}

function usageRow(e: UsageEvent): HTMLElement {
  const r = e.record;
  const decision = String(r.metadata?.decision ?? (r.status === 'denied' ? 'deny' : 'allow'));
  const requested = r.metadata?.requestedModel;
  const model = requested !== undefined && requested !== r.model ? `${String(requested)} → ${r.model}` : r.model;
  const cls = r.status === 'denied' ? 'deny' : decision === 'fallback' ? 'fallback' : decision === 'warn' ? 'warn' : r.status === 'error' ? 'error' : '';
  return el(
    'tr',
    { class: cls, 'data-call': r.id },
    el('td', {}, clock(r.time)),
    el('td', {}, model),
    el('td', {}, `${count(r.inputTokens)} / ${count(r.outputTokens)}`),
    el('td', { class: 'num' }, usd(e.costUsd)),
    el('td', {}, r.status === 'ok' ? decision : `${decision} (${r.status})`),
    el('td', {}, duration(e.durationMs)),
    el('td', {}, r.task ?? ''),
  );
}

function noticeRow(cls: string, time: number, text: string): HTMLElement {
  return el('tr', { class: `notice ${cls}` }, el('td', {}, clock(time)), el('td', { colspan: '6' }, text));
}

function handle(event: string, data: string): void {
  if (event === 'usage') prepend(usageRow(JSON.parse(data) as UsageEvent));
  else if (event === 'budget_exceeded') {
    const e = JSON.parse(data) as BudgetExceededEvent;
    const what = e.action === 'fallback' ? `fell back to ${e.fallbackModel ?? '?'}` : e.action === 'deny' ? 'denied a call' : 'warned';
    prepend(noticeRow(e.action, e.time, `budget "${e.budgetId}" (${e.key}) ${what}${e.model !== undefined ? ` of ${e.model}` : ''}`));
  } else if (event === 'threshold') {
    const e = JSON.parse(data) as ThresholdEvent;
    prepend(noticeRow('threshold', e.time, `budget "${e.budgetId}" (${e.key}) crossed ${percent(e.threshold)}: ${usd(e.spentUsd)} of ${usd(e.limitUsd)}`));
  }
}

/**
 * Follows /v1/events with fetch (so the token goes in a header, never in the URL) and shows each
 * settled call and each budget event as it comes; reconnects after a drop.
 */
export function followEvents(onSettled: () => void): () => void {
  let controller: AbortController | undefined;
  let stopped = false;
  const state = byId('live-state');
  const connect = async (): Promise<void> => {
    controller = new AbortController();
    const res = await fetch('/v1/events', { headers: authHeaders(), signal: controller.signal });
    if (!res.ok || res.body === null) throw new Error(`events answered ${res.status}`);
    state.textContent = 'live';
    state.dataset.state = 'live';
    const reader = new SseReader();
    const decoder = new TextDecoder();
    const stream = res.body.getReader();
    for (;;) {
      const { done, value } = await stream.read();
      if (done) break;
      for (const m of reader.push(decoder.decode(value, { stream: true }))) {
        handle(m.event, m.data);
        if (m.event === 'usage') onSettled();
      }
    }
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        await connect();
      } catch (err: unknown) {
        if (stopped) return;
        state.textContent = `disconnected (${err instanceof Error ? err.message : String(err)}); retrying`;
        state.dataset.state = 'down';
      }
      await new Promise((r) => setTimeout(r, 2_000));
    }
  };
  void loop();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
