/**
 * OTel ids as 32-bit words: a span id is 16 lowercase hex digits (two words), a trace id 32
 * (four). Kept as words in typed arrays, an id costs no string on the heap; an id written any
 * other way (upper case, another length, not hex) is not converted, so that turning the words
 * back into text always gives the id exactly as it was given.
 */

/** The value of one lowercase hex digit, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  return -1;
}

/** The last span id parsed (a call's id is parsed by the reservation, the settlement and the store in turn). */
let lastText: string | undefined;
let lastOk = false;
let lastHi = 0;
let lastLo = 0;

/**
 * Writes the words of `text` (exactly `words` × 8 lowercase hex digits) to `out` from `at` on.
 * Returns false, and leaves what it wrote partly written, when `text` is not such an id.
 */
export function parseHexWords(text: string, words: number, out: Uint32Array, at: number): boolean {
  if (words === 2 && text === lastText) {
    if (!lastOk) return false;
    out[at] = lastHi;
    out[at + 1] = lastLo;
    return true;
  }
  const ok = parse(text, words, out, at);
  if (words === 2) {
    lastText = text;
    lastOk = ok;
    lastHi = out[at] as number;
    lastLo = out[at + 1] as number;
  }
  return ok;
}

function parse(text: string, words: number, out: Uint32Array, at: number): boolean {
  if (text.length !== words * 8) return false;
  for (let w = 0; w < words; w++) {
    let v = 0;
    const base = w * 8;
    for (let i = 0; i < 8; i++) {
      const d = hexDigit(text.charCodeAt(base + i));
      if (d < 0) return false;
      v = (v << 4) | d;
    }
    out[at + w] = v >>> 0;
  }
  return true;
}

/** The id `parseHexWords` read into `words` words of `from` at `at`. */
export function formatHexWords(from: Uint32Array, at: number, words: number): string {
  let text = '';
  for (let w = 0; w < words; w++) text += (from[at + w] as number).toString(16).padStart(8, '0');
  return text;
}
