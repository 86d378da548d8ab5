/** Reads a field of an unknown value (request and response bodies). */
export function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

/** A finite number field, or undefined. */
export function numberField(value: unknown, name: string): number | undefined {
  const v = field(value, name);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A string field, or undefined. */
export function stringField(value: unknown, name: string): string | undefined {
  const v = field(value, name);
  return typeof v === 'string' ? v : undefined;
}
