import { describe, expect, it } from 'vitest';
import { retryWhileBusy } from '../../../src/ledger/sqlite/retryWhileBusy.js';

const busy = (): Error => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

describe('retryWhileBusy', () => {
  it('runs the step again while it fails with SQLITE_BUSY, and returns what it returns', () => {
    let calls = 0;
    const value = retryWhileBusy(() => {
      calls++;
      if (calls < 4) throw busy();
      return 'wal';
    }, 5_000);
    expect([value, calls]).toEqual(['wal', 4]);
  });

  it('throws any other error at once', () => {
    let calls = 0;
    expect(() =>
      retryWhileBusy(() => {
        calls++;
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      }, 5_000),
    ).toThrow(/disk I\/O error/);
    expect(calls).toBe(1);
  });

  it('throws the SQLITE_BUSY error once the timeout has passed', () => {
    const started = Date.now();
    expect(() =>
      retryWhileBusy(() => {
        throw busy();
      }, 100),
    ).toThrow(/database is locked/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });
});
