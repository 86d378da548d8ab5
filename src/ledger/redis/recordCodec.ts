import type { UsageRecord } from '../../core/UsageRecord.js';

/** Stream field that holds a record's JSON. */
export const RECORD_FIELD = 'r';

/** Encode a record for the stream: plain JSON (integers stay exact up to 2^53). */
export function encodeRecord(record: UsageRecord): string {
  return JSON.stringify(record);
}

/** Decode a stream entry's fields (`[name, value, name, value...]`); undefined when it holds no record. */
export function decodeRecord(fields: readonly string[]): UsageRecord | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === RECORD_FIELD) return JSON.parse(fields[i + 1] as string) as UsageRecord;
  }
  return undefined;
}
