import { createRequire } from 'node:module';
import type { TokenEstimator } from './TokenEstimator.js';

type CountText = (text: string) => number;
type EncodingName = 'o200k_base' | 'cl100k_base';

interface GptEncodingModule {
  encode(text: string, options?: { disallowedSpecial?: Set<string> }): number[];
}

/** Tokens an image part is counted as: OpenAI's high-detail 1024×1024 cost (85 + 4 × 170); 85 for `detail: 'low'`. */
export const IMAGE_TOKENS = 765;
export const LOW_DETAIL_IMAGE_TOKENS = 85;
/** OpenAI chat format: tokens added per message (plus the role's own tokens) and to prime the reply. */
const TOKENIZER_MESSAGE_OVERHEAD = 3;
const REPLY_PRIMING = 3;
/** Character fallback: tokens added per message (role and separators). */
const FALLBACK_MESSAGE_OVERHEAD = 4;

const O200K = /^(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|gpt-realtime|gpt-audio|gpt-image|o\d|omni-|codex)/;
const CL100K = /^(?:gpt-4|gpt-3\.5|gpt-35|text-embedding-|davinci-002|babbage-002)/;

const require = createRequire(import.meta.url);
const encoders = new Map<EncodingName, CountText>();

/**
 * Texts whose counts are remembered per encoding. An agent sends its system prompt and the
 * conversation so far with every call, so most texts were counted before; looking a text up
 * costs a hash of it, counting it costs a byte-pair encoding (tens of times more). When full,
 * the memo starts over (no per-hit bookkeeping); texts longer than MEMO_MAX_TEXT are not kept.
 */
const MEMO_ENTRIES = 4096;
const MEMO_MAX_TEXT = 64 * 1024;

/** Loads an encoding on first use (o200k takes ~0.3 s), synchronously through the CJS build. */
function encoder(name: EncodingName): CountText {
  let count = encoders.get(name);
  if (count === undefined) {
    const mod = require(`gpt-tokenizer/cjs/encoding/${name}`) as GptEncodingModule;
    const noSpecial = { disallowedSpecial: new Set<string>() };
    const memo = new Map<string, number>();
    count = (text: string): number => {
      const known = memo.get(text);
      if (known !== undefined) return known;
      const n = mod.encode(text, noSpecial).length;
      if (text.length <= MEMO_MAX_TEXT) {
        if (memo.size >= MEMO_ENTRIES) memo.clear();
        memo.set(text, n);
      }
      return n;
    };
    encoders.set(name, count);
  }
  return count;
}

/** ≈ 4 characters per token, rounded up. */
function countChars(text: string): number {
  return Math.ceil(text.length / 4);
}

function jsonLength(value: unknown): number {
  try {
    return (JSON.stringify(value) ?? '').length;
  } catch {
    return 0;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Encodings already found per model id (null: none); a process sends few distinct ids, bounded all the same. */
const encodingOf = new Map<string, EncodingName | null>();
const MAX_MODELS = 1000;

/** The tokenizer encoding for an OpenAI model id (provider prefixes ignored), or undefined for other models. */
export function encodingForModel(model: string): EncodingName | undefined {
  let name = encodingOf.get(model);
  if (name === undefined) {
    const id = model.trim().toLowerCase();
    const bare = id.slice(id.lastIndexOf('/') + 1);
    name = O200K.test(bare) ? 'o200k_base' : CL100K.test(bare) ? 'cl100k_base' : null;
    if (encodingOf.size >= MAX_MODELS) encodingOf.clear();
    encodingOf.set(model, name);
  }
  return name ?? undefined;
}

/**
 * Counts with gpt-tokenizer for OpenAI models (o200k_base for gpt-4o, gpt-4.1, gpt-5
 * and o-series; cl100k_base for gpt-4, gpt-3.5 and embeddings) and with ≈ chars/4
 * (rounded up per text) plus a per-message overhead for every other model. Images
 * count as IMAGE_TOKENS each. Never throws: unknown shapes count as their JSON length / 4.
 */
export class DefaultTokenEstimator implements TokenEstimator {
  estimateInput(model: string, input: unknown): number {
    const name = typeof model === 'string' ? encodingForModel(model) : undefined;
    const count = name === undefined ? countChars : encoder(name);
    const walker = new Walker(count, name === undefined ? FALLBACK_MESSAGE_OVERHEAD : TOKENIZER_MESSAGE_OVERHEAD, name !== undefined);
    try {
      return walker.request(input);
    } catch {
      return Math.ceil(jsonLength(input) / 4);
    }
  }
}

/** Walks one request shape and sums its tokens. */
class Walker {
  constructor(
    private readonly count: CountText,
    private readonly messageOverhead: number,
    private readonly countRoles: boolean,
  ) {}

  request(input: unknown): number {
    if (input === undefined || input === null) return 0;
    if (typeof input === 'string') return this.count(input);
    if (Array.isArray(input)) return this.list(input);
    if (isRecord(input)) {
      if (Array.isArray(input.messages)) {
        return this.messages(input.messages) + this.content(input.system) + this.json(input.tools);
      }
      if ('input' in input) {
        return this.request(input.input) + this.content(input.instructions) + this.json(input.tools);
      }
      if ('prompt' in input) return this.request(input.prompt);
      if ('contents' in input) return this.request(input.contents);
    }
    return this.json(input);
  }

  /** An array: embedding inputs (strings, token ids, arrays of token ids) or messages / Responses items. */
  private list(items: unknown[]): number {
    if (items.every((i) => typeof i === 'string')) return items.reduce<number>((n, s) => n + this.count(s as string), 0);
    if (items.every((i) => typeof i === 'number')) return items.length;
    if (items.every((i) => Array.isArray(i) && i.every((t) => typeof t === 'number'))) {
      return items.reduce<number>((n, a) => n + (a as number[]).length, 0);
    }
    return this.messages(items);
  }

  private messages(items: unknown[]): number {
    let total = REPLY_PRIMING;
    for (const m of items) total += this.message(m);
    return total;
  }

  private message(m: unknown): number {
    if (typeof m === 'string') return this.messageOverhead + this.count(m);
    if (!isRecord(m)) return this.json(m);
    let n = this.messageOverhead;
    if (this.countRoles && typeof m.role === 'string') n += this.count(m.role);
    n += this.content(m.content) + this.content(m.parts);
    if (typeof m.name === 'string') n += this.count(m.name) + 1;
    if (typeof m.arguments === 'string') n += this.count(m.arguments);
    if (m.output !== undefined) n += this.content(m.output);
    if (m.tool_calls !== undefined) n += this.json(m.tool_calls);
    if (m.function_call !== undefined) n += this.json(m.function_call);
    return n;
  }

  /** Message content: a string, an array of parts, or one part. */
  private content(c: unknown): number {
    if (c === undefined || c === null) return 0;
    if (typeof c === 'string') return this.count(c);
    if (Array.isArray(c)) return c.reduce<number>((n, part) => n + this.part(part), 0);
    return this.part(c);
  }

  private part(p: unknown): number {
    if (typeof p === 'string') return this.count(p);
    if (!isRecord(p)) return this.json(p);
    const type = typeof p.type === 'string' ? p.type : '';
    if (typeof p.text === 'string') return this.count(p.text);
    if (type === 'image_url' || type === 'image' || type === 'input_image') {
      const detail = isRecord(p.image_url) ? p.image_url.detail : p.detail;
      return detail === 'low' ? LOW_DETAIL_IMAGE_TOKENS : IMAGE_TOKENS;
    }
    if (type === 'tool_use') return (typeof p.name === 'string' ? this.count(p.name) : 0) + this.json(p.input);
    if (type === 'tool_result') return this.content(p.content);
    if (type === 'function_call') return this.message(p);
    return this.json(p);
  }

  private json(value: unknown): number {
    if (value === undefined || value === null) return 0;
    return Math.ceil(jsonLength(value) / 4);
  }
}
