import { utcDayKey } from '../../time/utcWindows.js';
import type { UsageRecord, UsageStatus } from '../../core/UsageRecord.js';
import type { UsageTotals } from '../UsageAccumulator.js';
import type { UsageDimensions } from '../usageDimensions.js';
import { formatHexWords, parseHexWords } from './hexWords.js';

// Numbers of a record, in `nums` (stride NUMS).
const TIME = 0;
const COST = 1;
const INPUT = 2;
const OUTPUT = 3;
const CACHE_READ = 4;
const CACHE_WRITE = 5;
const REASONING = 6;
const NUMS = 7;

// Ids as words, in `words` (stride WORDS): the id (2), the trace id (4).
const ID_WORDS = 0;
const TRACE_WORDS = 2;
const WORDS = 6;

// References, in `refs` (stride REFS): strings shared by many records (provider, model...),
// and what is not an id in words.
const PROVIDER = 0;
const MODEL = 1;
const OPERATION = 2;
const STATUS = 3;
const TASK = 4;
const SESSION = 5;
const AGENT = 6;
const REQUEST_ID = 7;
const METADATA = 8;
/** The id, when it is not a span id in words. */
const ID_TEXT = 9;
/** The trace id, when it is not one in words. */
const TRACE_TEXT = 10;
/** The span id, when it is given and differs from the id. */
const SPAN_TEXT = 11;
const REFS = 12;

// Flags, one byte a record.
const ID_IN_WORDS = 1;
const TRACE_IN_WORDS = 2;
const SPAN_IS_ID = 4;

const MIN_CAPACITY = 256;

type Ref = string | Record<string, string | number | boolean> | undefined;

/**
 * Usage records sorted by time, stored as columns: numbers in a Float64Array, the span and
 * trace ids as 32-bit words, the strings records share (provider, model, task...) as
 * references. A stored record is no object of its own, and holds no id string, so keeping
 * hours of records adds nothing for the garbage collector to trace and move but what the
 * records really carry (request ids, metadata, ids that are not OTel ids).
 */
export class RecordColumns {
  private room = MIN_CAPACITY;
  private nums = new Float64Array(MIN_CAPACITY * NUMS);
  private words = new Uint32Array(MIN_CAPACITY * WORDS);
  private flags = new Uint8Array(MIN_CAPACITY);
  private refs: Ref[] = new Array<Ref>(MIN_CAPACITY * REFS).fill(undefined);
  /** Where the oldest record is: dropping the oldest records moves it on instead of moving the rest. */
  private head = 0;
  private count = 0;
  /** The most records held since the last drop: the working set a shrink must leave room for. */
  private peak = 0;

  get length(): number {
    return this.count;
  }

  /** How many records there is room for before the columns grow. */
  get capacity(): number {
    return this.room;
  }

  timeAt(i: number): number {
    return this.nums[(this.head + i) * NUMS + TIME] as number;
  }

  /**
   * Stores a copy of `record`, after the records with a time <= its time (so records of equal
   * time stay in the order they were added). Returns its index.
   */
  insert(record: UsageRecord): number {
    if (this.head + this.count === this.room) {
      // No room after the newest: grow when more than half full, else move the records to the front.
      if (this.count * 2 >= this.room) this.resize(this.room * 2);
      else this.moveToFront();
    }
    const n = this.count;
    const head = this.head;
    let at = n;
    // Records mostly arrive in time order: append without searching.
    if (n > 0 && this.timeAt(n - 1) > record.time) {
      at = this.upperBound(record.time);
      this.shift(head + at, head + n, head + at + 1);
    }
    this.write(head + at, record);
    this.count = n + 1;
    if (this.count > this.peak) this.peak = this.count;
    return at;
  }

  /** Index of the first record with time >= t. */
  lowerBound(t: number): number {
    return this.firstAfter(t, false);
  }

  /** Index of the first record with time > t. */
  upperBound(t: number): number {
    return this.firstAfter(t, true);
  }

  /** Index of the first record with time > t (`orEqual` false: >= t). */
  private firstAfter(t: number, orEqual: boolean): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const time = this.timeAt(mid);
      if (time < t || (orEqual && time === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Record `i` as a new object (metadata copied). */
  recordAt(i: number): UsageRecord {
    const p = this.head + i;
    const x = p * NUMS;
    const r = p * REFS;
    const f = this.flags[p] as number;
    const nums = this.nums;
    const refs = this.refs;
    const id = f & ID_IN_WORDS ? formatHexWords(this.words, p * WORDS + ID_WORDS, 2) : (refs[r + ID_TEXT] as string);
    const record: UsageRecord = {
      id,
      time: nums[x + TIME] as number,
      provider: refs[r + PROVIDER] as string,
      model: refs[r + MODEL] as string,
      operation: refs[r + OPERATION] as string,
      inputTokens: nums[x + INPUT] as number,
      outputTokens: nums[x + OUTPUT] as number,
      cacheReadTokens: nums[x + CACHE_READ] as number,
      cacheWriteTokens: nums[x + CACHE_WRITE] as number,
      reasoningTokens: nums[x + REASONING] as number,
      costNanos: nums[x + COST] as number,
      status: refs[r + STATUS] as UsageStatus,
    };
    const traceId = this.traceIdOf(p);
    if (traceId !== undefined) record.traceId = traceId;
    const spanId = f & SPAN_IS_ID ? id : (refs[r + SPAN_TEXT] as string | undefined);
    if (spanId !== undefined) record.spanId = spanId;
    const optional = [
      ['requestId', REQUEST_ID],
      ['task', TASK],
      ['session', SESSION],
      ['agent', AGENT],
    ] as const;
    for (const [field, col] of optional) {
      const v = refs[r + col] as string | undefined;
      if (v !== undefined) record[field] = v;
    }
    const metadata = refs[r + METADATA] as UsageRecord['metadata'];
    if (metadata !== undefined) record.metadata = { ...metadata };
    return record;
  }

  /** What record `i` is grouped and filtered by (as `dimensionsOf` gives it). */
  dimensionsAt(i: number): UsageDimensions {
    const r = (this.head + i) * REFS;
    const refs = this.refs;
    return {
      day: utcDayKey(this.timeAt(i)),
      provider: refs[r + PROVIDER] as string,
      model: refs[r + MODEL] as string,
      operation: refs[r + OPERATION] as string,
      status: refs[r + STATUS] as string,
      task: (refs[r + TASK] as string | undefined) ?? '',
      session: (refs[r + SESSION] as string | undefined) ?? '',
      agent: (refs[r + AGENT] as string | undefined) ?? '',
    };
  }

  /** Record `i` as totals of one call (as `totalsOf` gives it). */
  totalsAt(i: number): UsageTotals {
    const x = (this.head + i) * NUMS;
    const nums = this.nums;
    return {
      calls: 1,
      errors: this.refs[(this.head + i) * REFS + STATUS] === 'error' ? 1 : 0,
      inputTokens: nums[x + INPUT] as number,
      outputTokens: nums[x + OUTPUT] as number,
      cacheReadTokens: nums[x + CACHE_READ] as number,
      cacheWriteTokens: nums[x + CACHE_WRITE] as number,
      reasoningTokens: nums[x + REASONING] as number,
      costNanos: nums[x + COST] as number,
    };
  }

  traceIdAt(i: number): string | undefined {
    return this.traceIdOf(this.head + i);
  }

  taskAt(i: number): string | undefined {
    return this.refs[(this.head + i) * REFS + TASK] as string | undefined;
  }

  sessionAt(i: number): string | undefined {
    return this.refs[(this.head + i) * REFS + SESSION] as string | undefined;
  }

  /** Calls `words` with the two words of each of the first `n` records' ids that are span ids, and `text` with the others. */
  forEachId(n: number, words: (hi: number, lo: number) => void, text: (id: string) => void): void {
    for (let i = this.head; i < this.head + n; i++) {
      if ((this.flags[i] as number) & ID_IN_WORDS) words(this.words[i * WORDS + ID_WORDS] as number, this.words[i * WORDS + ID_WORDS + 1] as number);
      else text(this.refs[i * REFS + ID_TEXT] as string);
    }
  }

  /** Drops the first `n` records (the oldest), in place. */
  dropFirst(n: number): void {
    if (n <= 0) return;
    // Lets go of what the dropped records pointed at; the others stay where they are. The arrays
    // keep their size: memory that stays in use costs nothing to write again, while memory given
    // back and taken again does.
    this.refs.fill(undefined, this.head * REFS, (this.head + n) * REFS);
    this.count -= n;
    this.head = this.count === 0 ? 0 : this.head + n;
    // Gives memory back once the records held since the last drop needed far less room than
    // there is (a store that fills up again between drops keeps its arrays).
    let capacity = MIN_CAPACITY;
    while (capacity < this.peak * 2) capacity *= 2;
    if (capacity * 2 <= this.room) this.resize(capacity);
    this.peak = this.count;
  }

  /** Moves the records to the start of the arrays. */
  private moveToFront(): void {
    const head = this.head;
    this.shift(head, head + this.count, 0);
    this.refs.fill(undefined, this.count * REFS, (head + this.count) * REFS);
    this.head = 0;
  }

  /** The trace id of the record in slot `p`. */
  private traceIdOf(p: number): string | undefined {
    return (this.flags[p] as number) & TRACE_IN_WORDS ? formatHexWords(this.words, p * WORDS + TRACE_WORDS, 4) : (this.refs[p * REFS + TRACE_TEXT] as string | undefined);
  }

  /** Moves the records in slots [from, to) to start at slot `dest`. */
  private shift(from: number, to: number, dest: number): void {
    this.nums.copyWithin(dest * NUMS, from * NUMS, to * NUMS);
    this.words.copyWithin(dest * WORDS, from * WORDS, to * WORDS);
    this.flags.copyWithin(dest, from, to);
    this.refs.copyWithin(dest * REFS, from * REFS, to * REFS);
  }

  /** Writes `record` to slot `i`. */
  private write(i: number, record: UsageRecord): void {
    const x = i * NUMS;
    const nums = this.nums;
    nums[x + TIME] = record.time;
    nums[x + COST] = record.costNanos;
    nums[x + INPUT] = record.inputTokens;
    nums[x + OUTPUT] = record.outputTokens;
    nums[x + CACHE_READ] = record.cacheReadTokens;
    nums[x + CACHE_WRITE] = record.cacheWriteTokens;
    nums[x + REASONING] = record.reasoningTokens;
    const w = i * WORDS;
    const id = record.id;
    const traceId = record.traceId;
    const spanId = record.spanId;
    let f = 0;
    if (parseHexWords(id, 2, this.words, w + ID_WORDS)) f |= ID_IN_WORDS;
    if (traceId !== undefined && parseHexWords(traceId, 4, this.words, w + TRACE_WORDS)) f |= TRACE_IN_WORDS;
    if (spanId === id) f |= SPAN_IS_ID;
    this.flags[i] = f;
    const refs = this.refs;
    const r = i * REFS;
    refs[r + PROVIDER] = record.provider;
    refs[r + MODEL] = record.model;
    refs[r + OPERATION] = record.operation;
    refs[r + STATUS] = record.status;
    refs[r + TASK] = record.task;
    refs[r + SESSION] = record.session;
    refs[r + AGENT] = record.agent;
    refs[r + REQUEST_ID] = record.requestId;
    refs[r + METADATA] = record.metadata === undefined ? undefined : { ...record.metadata };
    refs[r + ID_TEXT] = f & ID_IN_WORDS ? undefined : id;
    refs[r + TRACE_TEXT] = f & TRACE_IN_WORDS ? undefined : traceId;
    refs[r + SPAN_TEXT] = f & SPAN_IS_ID ? undefined : spanId;
  }

  /** Moves the columns to arrays of `capacity` records (at least the records held), the oldest first. */
  private resize(capacity: number): void {
    const n = this.count;
    const h = this.head;
    const nums = new Float64Array(capacity * NUMS);
    nums.set(this.nums.subarray(h * NUMS, (h + n) * NUMS));
    const words = new Uint32Array(capacity * WORDS);
    words.set(this.words.subarray(h * WORDS, (h + n) * WORDS));
    const flags = new Uint8Array(capacity);
    flags.set(this.flags.subarray(h, h + n));
    const refs = new Array<Ref>(capacity * REFS).fill(undefined);
    for (let i = 0; i < n * REFS; i++) refs[i] = this.refs[h * REFS + i];
    this.head = 0;
    this.refs = refs;
    this.nums = nums;
    this.words = words;
    this.flags = flags;
    this.room = capacity;
  }
}
