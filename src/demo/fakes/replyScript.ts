import { createHash } from 'node:crypto';

/** A short stable id derived from a value (same request → same id). */
export function stableId(prefix: string, value: unknown): string {
  return `${prefix}${createHash('sha256').update(JSON.stringify(value) ?? '').digest('hex').slice(0, 24)}`;
}

/**
 * Number of whitespace-separated words in every string found in `value`, except the
 * values of `role` and `type` fields (at least 1). The fakes' default input token count.
 */
export function countWords(value: unknown): number {
  let words = 0;
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      words += v.split(/\s+/).filter((w) => w !== '').length;
    } else if (Array.isArray(v)) {
      for (const item of v) visit(item);
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) if (key !== 'role' && key !== 'type') visit(item);
    }
  };
  visit(value);
  return Math.max(1, words);
}

/** The deterministic reply text of `count` tokens: `tok0 tok1 tok2 ...` (one token per word). */
export function replyTokens(count: number, text?: string): string[] {
  if (text !== undefined) return text.match(/\s*\S+/g) ?? [];
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push(i === 0 ? 'tok0' : ` tok${i}`);
  return tokens;
}

/** A FIFO of scripted replies; `next()` returns undefined when empty. */
export class ReplyQueue<T> {
  readonly #items: T[] = [];
  /** Appends replies, to be taken in order. */
  push(...items: T[]): void {
    this.#items.push(...items);
  }
  /** Takes the oldest queued reply (undefined when none is left). */
  next(): T | undefined {
    return this.#items.shift();
  }
}

/** Reads a property of an unknown value. */
export function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}
