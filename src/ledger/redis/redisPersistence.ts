import type { Redis } from 'ioredis';
import type { Timed } from './RedisConnection.js';

/** Whether a Redis server keeps its data across a restart. */
export interface RedisPersistence {
  /** `appendonly yes`; undefined when it could not be read. */
  aof: boolean | undefined;
  /** RDB snapshot rules (`save`), '' when none; undefined when they could not be read. */
  rdb: string | undefined;
  /** 'persistent' (AOF or RDB on), 'none' (both off: a restart empties every budget), 'unknown' (CONFIG is disabled). */
  verdict: 'persistent' | 'none' | 'unknown';
  /** One line for people, e.g. `appendonly yes (appendfsync everysec), save ""`. */
  detail: string;
}

/**
 * Reads the server's persistence settings with `CONFIG GET appendonly / appendfsync / save`.
 * Managed services often disable CONFIG: then `INFO persistence` tells whether AOF is on, and
 * the RDB rules stay unknown.
 */
export async function redisPersistence(client: Redis, timed: Timed): Promise<RedisPersistence> {
  try {
    const [aof, fsync, save] = await Promise.all(['appendonly', 'appendfsync', 'save'].map((name) => timed(client.config('GET', name))));
    const value = (reply: unknown): string | undefined => (Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined);
    const aofOn = value(aof) === 'yes';
    const rules = value(save) ?? '';
    const detail = `appendonly ${aofOn ? `yes (appendfsync ${value(fsync) ?? '?'})` : 'no'}, save ${JSON.stringify(rules)}`;
    return { aof: aofOn, rdb: rules, verdict: aofOn || rules.trim() !== '' ? 'persistent' : 'none', detail };
  } catch (err: unknown) {
    if (!(err instanceof Error) || err.name !== 'ReplyError') throw err;
    const info = await timed(client.info('persistence'));
    const aofOn = /^aof_enabled:1\b/m.test(info);
    return {
      aof: aofOn,
      rdb: undefined,
      verdict: aofOn ? 'persistent' : 'unknown',
      detail: `CONFIG is disabled (${err.message}); INFO says AOF is ${aofOn ? 'on' : 'off'}, RDB snapshot rules unknown`,
    };
  }
}
