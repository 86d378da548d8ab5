import type { Database as SqliteDatabase, Transaction } from 'better-sqlite3';

/** An operation waiting for its group's transaction. */
interface Job {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: the operations queued within one turn of the event loop run together, in
 * queue order, in one `BEGIN IMMEDIATE` transaction. The write lock is held for the whole
 * group, so every decision in it is atomic across the processes sharing the file, and the
 * file pays one commit for the group instead of one per operation.
 *
 * Each operation runs in its own savepoint: one that throws is rolled back alone and its
 * promise rejects; the others still commit. A promise resolves only after the group's
 * transaction has committed; when the transaction cannot begin or commit (the lock stayed
 * busy, the disk failed), every operation of the group rejects and none of them took effect.
 */
export class GroupCommit {
  private queued: Job[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly runGroup: Transaction<(jobs: readonly Job[]) => Outcome[]>;

  /** `maxGroup`: a group is committed at once when this many operations are queued. */
  constructor(
    db: SqliteDatabase,
    private readonly maxGroup: number,
  ) {
    const runOne = db.transaction((job: Job) => job.work());
    this.runGroup = db.transaction((jobs: readonly Job[]) =>
      jobs.map((job): Outcome => {
        try {
          return { ok: true, value: runOne(job) }; // nested: a savepoint
        } catch (error: unknown) {
          return { ok: false, error };
        }
      }),
    );
  }

  /** Queues `work` (synchronous database work) for the current group; resolves to what it returned, once committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.queued.length >= this.maxGroup) this.commit();
      else this.scheduled ??= setImmediate(() => this.commit());
    });
  }

  /** Runs the queued operations now, in one transaction, and settles their promises. Never throws. */
  commit(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const jobs = this.queued;
    if (jobs.length === 0) return;
    this.queued = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.runGroup.immediate(jobs);
    } catch (err: unknown) {
      for (const job of jobs) job.reject(err);
      return;
    }
    jobs.forEach((job, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}
