import type { Redis } from 'ioredis';
import type { UsageRecord } from '../../core/UsageRecord.js';
import { decodeRecord } from './recordCodec.js';
import type { Timed } from './RedisConnection.js';

/** Stream entries read per round trip. */
const STREAM_PAGE = 1_000;

const MAX_SEQ = 18_446_744_073_709_551_615n;

/** Reads every entry of the record stream `key`, page by page, oldest first ('asc') or newest first ('desc'). */
export async function scanRecords(
  client: Redis,
  timed: Timed,
  key: string,
  order: 'asc' | 'desc',
  visit: (record: UsageRecord, id: string) => void,
): Promise<void> {
  let cursor = order === 'asc' ? '-' : '+';
  for (;;) {
    const page =
      order === 'asc'
        ? await timed(client.xrange(key, cursor, '+', 'COUNT', STREAM_PAGE))
        : await timed(client.xrevrange(key, cursor, '-', 'COUNT', STREAM_PAGE));
    for (const [id, fields] of page) {
      const record = decodeRecord(fields);
      if (record !== undefined) visit(record, id);
    }
    if (page.length < STREAM_PAGE) return;
    const last = (page[page.length - 1] as [string, string[]])[0];
    const next = order === 'asc' ? streamIdAfter(last) : streamIdBefore(last);
    if (next === undefined) return;
    cursor = next;
  }
}

/** The smallest stream id after `id` (XRANGE's `(id` needs Redis 6.2; this works on 5.0+). */
function streamIdAfter(id: string): string | undefined {
  const [ms, seq] = id.split('-').map((x) => BigInt(x)) as [bigint, bigint];
  if (seq < MAX_SEQ) return `${ms}-${seq + 1n}`;
  return `${ms + 1n}-0`;
}

/** The largest stream id before `id`; undefined before 0-1. */
function streamIdBefore(id: string): string | undefined {
  const [ms, seq] = id.split('-').map((x) => BigInt(x)) as [bigint, bigint];
  if (seq > 0n) return `${ms}-${seq - 1n}`;
  if (ms > 0n) return `${ms - 1n}-${MAX_SEQ}`;
  return undefined;
}
