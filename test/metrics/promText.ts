/**
 * Reads one sample from Prometheus text exposition: the value of `name` with exactly
 * `labels` (label order does not matter). Undefined when the series is absent.
 */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const got = splitLabels(match[2] ?? '')
      .sort()
      .join(',');
    if (got === wanted) return Number(match[3]);
  }
  return undefined;
}

/** Every label set of `name` in the text (as `k="v",...`, sorted). */
export function seriesOf(text: string, name: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    out.push(splitLabels(match[2] ?? '').sort().join(','));
  }
  return out;
}

function splitLabels(body: string): string[] {
  const out: string[] = [];
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(body); m !== null; m = re.exec(body)) out.push(`${m[1]}="${m[2]}"`);
  return out;
}
