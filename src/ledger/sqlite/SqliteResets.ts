import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { ResetRecord } from '../Ledger.js';

/**
 * The reset log. A table that older versions of tollgate ignore, so it is created when a file is
 * opened rather than by a schema version: a file stays readable by the version that wrote it.
 */
const RESETS_TABLE = `
CREATE TABLE IF NOT EXISTS budget_resets (
  time INTEGER NOT NULL,
  target TEXT NOT NULL,
  actor TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS budget_resets_time ON budget_resets (time);
`;

/**
 * `Ledger.resetBuckets` and `Ledger.resets` on SQLite: one IMMEDIATE transaction sets the spend of
 * the bucket counters to zero (their live reservations stay), deletes their rolling entries and
 * logs the reset. Records and daily rollups are not touched.
 */
export class SqliteResets {
  private readonly log: Statement<[number, string, string]>;
  private readonly list: Statement<[number], ResetRecord>;
  private readonly tx: (reset: ResetRecord, bucketKeys: readonly string[] | undefined) => void;

  constructor(db: SqliteDatabase) {
    db.exec(RESETS_TABLE);
    this.log = db.prepare('INSERT INTO budget_resets (time, target, actor) VALUES (?, ?, ?)');
    this.list = db.prepare('SELECT time, target, actor FROM budget_resets ORDER BY time DESC, rowid DESC LIMIT ?');
    const zeroCounter = db.prepare<[string]>('UPDATE bucket_counters SET spent_nanos = 0 WHERE bucket_key = ?');
    const dropRolling = db.prepare<[string]>('DELETE FROM rolling_entries WHERE bucket_key = ?');
    const zeroAll = db.prepare('UPDATE bucket_counters SET spent_nanos = 0');
    const dropAllRolling = db.prepare('DELETE FROM rolling_entries');
    const tx = db.transaction((reset: ResetRecord, bucketKeys: readonly string[] | undefined) => {
      if (bucketKeys === undefined) {
        zeroAll.run();
        dropAllRolling.run();
      } else {
        for (const key of bucketKeys) {
          zeroCounter.run(key);
          dropRolling.run(key);
        }
      }
      this.log.run(reset.time, reset.target, reset.actor);
    });
    this.tx = (reset, bucketKeys) => tx.immediate(reset, bucketKeys);
  }

  reset(reset: ResetRecord, bucketKeys: readonly string[] | undefined): void {
    this.tx(reset, bucketKeys);
  }

  /** Newest first. */
  recent(limit: number): ResetRecord[] {
    return limit <= 0 ? [] : this.list.all(limit).map((r) => ({ target: r.target, actor: r.actor, time: r.time }));
  }
}
