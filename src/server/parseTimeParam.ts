const DURATION_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Reads a `since` / `until` query value as epoch ms: an ISO date (`2026-11-23`,
 * `2026-11-23T10:00:00Z`), epoch milliseconds (`1795000000000`), or a duration meaning
 * "that long ago" (`90s`, `30m`, `24h`, `7d`, `2w`). Undefined when the value is not one of these.
 */
export function parseTimeParam(value: string, now: number): number | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const ms = Number(text);
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const duration = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text);
  if (duration !== null) {
    const unit = DURATION_MS[duration[2] ?? ''];
    if (unit === undefined) return undefined;
    return now - Math.round(Number(duration[1]) * unit);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
