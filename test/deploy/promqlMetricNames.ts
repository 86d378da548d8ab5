/** PromQL words that look like identifiers but are not metric names. */
const KEYWORDS = new Set([
  'and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring',
  'group_left', 'group_right', 'atan2', 'inf', 'nan',
]);

/**
 * The metric names an expression selects (variables must be substituted first).
 * A small lexer, enough for the dashboards and rules we write: string literals, label
 * matchers, ranges, grouping clauses, offsets and numbers are removed; what is left and is
 * not followed by `(` (a function or aggregation) is a metric name.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?\w+/g, ' ')
    .replace(/@\s*(?:start\(\)|end\(\)|[\d.]+)/g, ' ')
    .replace(/(?<![\w:])(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    const rest = stripped.slice((m.index ?? 0) + word.length);
    if (/^\s*\(/.test(rest)) continue;
    if (KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names].sort();
}

/** `x_bucket`, `x_sum`, `x_count` → `x` when `x` is one of the given histograms. */
export function histogramBaseName(name: string, histograms: ReadonlySet<string>): string {
  const m = /^(.*)_(?:bucket|sum|count)$/.exec(name);
  return m?.[1] !== undefined && histograms.has(m[1]) ? m[1] : name;
}
