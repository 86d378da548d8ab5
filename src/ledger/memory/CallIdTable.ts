import { parseHexWords } from './hexWords.js';

/** The value of a free slot. */
const EMPTY = -1;
const MIN_CAPACITY = 16;
// A slot is three int32: the id's two words and its value.
const HI = 0;
const LO = 1;
const VALUE = 2;
const STRIDE = 3;

/**
 * Call ids → non-negative integers, holding no string for ids that are span ids (16 lowercase
 * hex digits, what the processor uses): those live as two 32-bit words in an open-addressing
 * table (linear probing in one Int32Array), so that remembering the id of every settled call
 * adds no object to the heap for the garbage collector to trace and move. Any other id goes to
 * a Map.
 *
 * Deleting shifts the entries after it back instead of leaving a tombstone, so a table that
 * sees as many deletes as inserts (ids forgotten as records are pruned) never has to be
 * rebuilt: its memory is written again in place, which is far cheaper than memory that is
 * given back and taken anew.
 */
export class CallIdTable {
  private slots = emptySlots(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private held = 0;
  /** The most ids held since the last compact: the working set a shrink must leave room for. */
  private peak = 0;
  private readonly other = new Map<string, number>();
  /** Where ids are parsed (no allocation per lookup). */
  private readonly words = new Uint32Array(2);

  /** How many ids are held. */
  get size(): number {
    return this.held + this.other.size;
  }

  /** Slots in the table (it grows at half full). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** The value of `id`, or -1 when it is not held. */
  get(id: string): number {
    if (!parseHexWords(id, 2, this.words, 0)) return this.other.get(id) ?? EMPTY;
    return this.getWords(this.words[0] as number, this.words[1] as number);
  }

  /** Sets the value of `id` (a non-negative 31-bit integer). */
  set(id: string, value: number): void {
    if (!parseHexWords(id, 2, this.words, 0)) this.other.set(id, value);
    else this.setWords(this.words[0] as number, this.words[1] as number, value);
  }

  /** Adds `id` with `value` when it is not held; false (and nothing changed) when it is. */
  add(id: string, value: number): boolean {
    if (!parseHexWords(id, 2, this.words, 0)) {
      if (this.other.has(id)) return false;
      this.other.set(id, value);
      return true;
    }
    const hi = this.words[0] as number;
    const lo = this.words[1] as number;
    if ((this.slots[this.find(hi | 0, lo | 0) + VALUE] as number) !== EMPTY) return false;
    this.setWords(hi, lo, value);
    return true;
  }

  /** Removes `id` and returns its value (-1 when it was not held). */
  take(id: string): number {
    if (!parseHexWords(id, 2, this.words, 0)) {
      const value = this.other.get(id);
      if (value === undefined) return EMPTY;
      this.other.delete(id);
      return value;
    }
    const at = this.find((this.words[0] as number) | 0, (this.words[1] as number) | 0);
    const value = this.slots[at + VALUE] as number;
    if (value !== EMPTY) this.removeAt(at);
    return value;
  }

  delete(id: string): void {
    if (!parseHexWords(id, 2, this.words, 0)) this.other.delete(id);
    else this.deleteWords(this.words[0] as number, this.words[1] as number);
  }

  /** `get` for a span id given as its two words. */
  getWords(hi: number, lo: number): number {
    return this.slots[this.find(hi | 0, lo | 0) + VALUE] as number;
  }

  /** `set` for a span id given as its two words. */
  setWords(hi: number, lo: number, value: number): void {
    let at = this.find(hi | 0, lo | 0);
    if ((this.slots[at + VALUE] as number) === EMPTY) {
      if ((this.held + 1) * 2 > this.slots.length / STRIDE) {
        this.resize((this.mask + 1) * 2);
        at = this.find(hi | 0, lo | 0);
      }
      this.slots[at + HI] = hi;
      this.slots[at + LO] = lo;
      this.held += 1;
      if (this.held > this.peak) this.peak = this.held;
    }
    this.slots[at + VALUE] = value;
  }

  /** `delete` for a span id given as its two words. */
  deleteWords(hi: number, lo: number): void {
    const at = this.find(hi | 0, lo | 0);
    if ((this.slots[at + VALUE] as number) !== EMPTY) this.removeAt(at);
  }

  /** Empties the held slot at offset `at`. */
  private removeAt(at: number): void {
    const slots = this.slots;
    const mask = this.mask;
    this.held -= 1;
    // Backward shift: move later entries of the same probe run into the hole, so that no
    // lookup that walked over the deleted slot stops short.
    let hole = at / STRIDE;
    let i = hole;
    for (;;) {
      slots[hole * STRIDE + VALUE] = EMPTY;
      for (;;) {
        i = (i + 1) & mask;
        at = i * STRIDE;
        if ((slots[at + VALUE] as number) === EMPTY) return;
        const home = hash(slots[at + HI] as number, slots[at + LO] as number) & mask;
        // The entry at i stays unless its home slot is cyclically outside (hole, i].
        const stays = hole <= i ? hole < home && home <= i : hole < home || home <= i;
        if (!stays) break;
      }
      const to = hole * STRIDE;
      slots[to + HI] = slots[at + HI] as number;
      slots[to + LO] = slots[at + LO] as number;
      slots[to + VALUE] = slots[at + VALUE] as number;
      hole = i;
    }
  }

  /**
   * Gives memory back when the ids held since the last compact needed far less room than there
   * is (call after deleting many; a table that fills up again between calls keeps its size).
   */
  compact(): void {
    let capacity = MIN_CAPACITY;
    while (capacity < (this.peak + 1) * 2) capacity *= 2;
    if (capacity * 2 <= this.mask + 1) this.resize(capacity);
    this.peak = this.held;
  }

  /** Offset of the slot holding (hi, lo), or of the empty slot where it would go. */
  private find(hi: number, lo: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = hash(hi, lo) & mask;
    for (;;) {
      const at = i * STRIDE;
      if ((slots[at + VALUE] as number) === EMPTY) return at;
      if ((slots[at + HI] as number) === hi && (slots[at + LO] as number) === lo) return at;
      i = (i + 1) & mask;
    }
  }

  private resize(capacity: number): void {
    const old = this.slots;
    this.slots = emptySlots(capacity);
    this.mask = capacity - 1;
    for (let at = 0; at < old.length; at += STRIDE) {
      const value = old[at + VALUE] as number;
      if (value === EMPTY) continue;
      const hi = old[at + HI] as number;
      const lo = old[at + LO] as number;
      const to = this.find(hi, lo);
      this.slots[to + HI] = hi;
      this.slots[to + LO] = lo;
      this.slots[to + VALUE] = value;
    }
  }
}

function emptySlots(capacity: number): Int32Array {
  const slots = new Int32Array(capacity * STRIDE);
  for (let at = VALUE; at < slots.length; at += STRIDE) slots[at] = EMPTY;
  return slots;
}

/** Mixes the two words (span ids are random, but ids made up by hand may not be). */
function hash(hi: number, lo: number): number {
  let h = Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) ^ (h >>> 16);
}
