/** Details of one configuration mistake. */
export interface ConfigErrorDetails {
  /** Where the value came from: a file path, `env TOLLGATE_X`, `createTollgate() options`... */
  source: string;
  /** Path of the bad field, e.g. `budgets[1].maxUsd`; '' for the whole source. */
  path: string;
  /** What was expected, e.g. `expected a number > 0`. */
  expected: string;
  /** The value found (omit when there was none to show). */
  got?: unknown;
  /** How to fix it. */
  fix?: string;
  /** Further mistakes found in the same pass (each listed on its own line of the message). */
  more?: ConfigErrorDetails[];
}

/** Renders a value for an error message: strings quoted, objects as short JSON. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'bigint') return `${value.toString()}n`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * A configuration mistake, thrown at construction (never at call time). The message
 * names the source, the field, what was expected and the fix, e.g.
 * `tollgate.toml: budgets[1].maxUsd: expected a number > 0, got "abc". Fix: ...`.
 * The CLI exits with code 2 on it.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly source: string;
  readonly path: string;
  /** What was expected, e.g. `expected a number > 0`. */
  readonly expected: string;

  /** Every mistake found, this one first (a file with three mistakes reports all three at once). */
  readonly issues: readonly ConfigErrorDetails[];

  constructor(details: ConfigErrorDetails) {
    const more = details.more ?? [];
    const rest = more.length > 0 ? `\n${more.length} more ${more.length === 1 ? 'mistake' : 'mistakes'}:\n${more.map((d) => `  - ${oneLine(d)}`).join('\n')}` : '';
    super(`${oneLine(details)}${rest}`);
    this.source = details.source;
    this.path = details.path;
    this.expected = details.expected;
    const { more: _more, ...first } = details;
    this.issues = [first, ...more];
  }
}

/** `source: path: expected, got value. Fix: ...` */
function oneLine(details: ConfigErrorDetails): string {
  const where = details.path ? `${details.source}: ${details.path}` : details.source;
  const got = 'got' in details ? `, got ${describeValue(details.got)}` : '';
  const fix = details.fix ? ` Fix: ${details.fix}` : '';
  return `${where}: ${details.expected}${got}.${fix}`;
}
