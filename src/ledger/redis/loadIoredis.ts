import type { Redis, RedisOptions } from 'ioredis';

/** The ioredis client constructor. */
export type RedisConstructor = new (url: string, options: RedisOptions) => Redis;

/** Loads ioredis on first use, so that tollgate does not need it unless Redis is used. */
export async function loadIoredis(): Promise<RedisConstructor> {
  let mod: { Redis?: RedisConstructor; default?: RedisConstructor };
  try {
    mod = (await import('ioredis')) as unknown as { Redis?: RedisConstructor; default?: RedisConstructor };
  } catch (err: unknown) {
    throw new Error("The Redis ledger needs the 'ioredis' package: run `npm install ioredis`.", { cause: err });
  }
  const ctor = mod.Redis ?? mod.default;
  if (ctor === undefined) throw new Error("The installed 'ioredis' has no Redis export: run `npm install ioredis@5`.");
  return ctor;
}
