import type { Database as SqliteDatabase, Transaction } from 'better-sqlite3';

/** An operation waiting for its group's transaction. */
interface Job {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** What the owner of the group does around its operations. */
export interface GroupHooks {
  /** In the group's transaction, after its last operation: writes what the operations left pending. */
  write(): void;
  /** The group's transaction committed. */
  committed(): void;
  /** The group's transaction did not begin or did not commit: nothing it did is in the file. */
  failed(): void;
}

/** A group this large gains little more from waiting (its commit is shared by this many): it commits at the end of the turn. */
const FULL_ENOUGH = 64;

/** Groups whose settlements are waiting on a timer: committed when the process exits (`process.exit()`, the end of the loop, an uncaught error). */
const waiting = new Set<GroupCommit>();
let exitHooked = false;

function commitWaitingGroups(): void {
  for (const group of [...waiting]) group.commit();
}

/**
 * Group commit: the operations queued within one turn of the event loop run together, in
 * queue order, in one `BEGIN IMMEDIATE` transaction. An operation that may wait (a settlement:
 * `run(work, true)`) waits up to `delayMs` for others to share its transaction, unless an
 * operation that may not wait (a reservation, a release, a read) is queued, which takes it into
 * the next turn's group, or the group holds FULL_ENOUGH operations already. The write lock is
 * held for the whole group, so every decision in it is atomic across the processes sharing the
 * file, and the file pays one commit for the group instead of one per operation.
 *
 * An operation does what can throw (checking and encoding its input) before it changes
 * anything, so one that throws has changed nothing: its promise rejects and the others still
 * commit. The operations may leave writes pending (sums of the group); `hooks.write` makes them
 * at the end of the group, in its transaction. A promise resolves only after the group's
 * transaction has committed; when the transaction cannot begin or commit (the lock stayed busy,
 * the disk failed, SQLite rolled it back), every operation of the group rejects, none of them
 * took effect, and `hooks.failed` lets the owner undo what it holds in memory.
 */
export class GroupCommit {
  private queued: Job[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private delayed: NodeJS.Timeout | undefined;
  private readonly runGroup: Transaction<(jobs: readonly Job[]) => Outcome[]>;

  /**
   * `maxGroup`: a group is committed at once when this many operations are queued. `delayMs`:
   * how long an operation that may wait waits for others (0: until the end of the turn).
   */
  constructor(
    db: SqliteDatabase,
    private readonly maxGroup: number,
    private readonly delayMs: number,
    private readonly hooks: GroupHooks,
  ) {
    this.runGroup = db.transaction((jobs: readonly Job[]) => {
      const outcomes = jobs.map((job): Outcome => {
        try {
          return { ok: true, value: job.work() };
        } catch (error: unknown) {
          // SQLite ended the transaction itself (disk full, I/O error): the whole group fails.
          if (!db.inTransaction) throw error;
          return { ok: false, error };
        }
      });
      hooks.write();
      return outcomes;
    });
  }

  /**
   * Queues `work` (synchronous database work) for the current group; resolves to what it
   * returned, once committed. `mayWait`: the group may wait up to `delayMs` for more operations.
   */
  run<T>(work: () => T, mayWait = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.queued.length >= this.maxGroup) this.commit();
      else if (!mayWait || this.delayMs === 0 || this.queued.length >= FULL_ENOUGH) this.scheduled ??= setImmediate(() => this.commit());
      else if (this.scheduled === undefined && this.delayed === undefined) {
        // Not unref'd: a process whose work is done still commits before it exits.
        this.delayed = setTimeout(() => this.commit(), this.delayMs);
        waiting.add(this);
        if (!exitHooked) {
          exitHooked = true;
          process.on('exit', commitWaitingGroups);
        }
      }
    });
  }

  /** Runs the queued operations now, in one transaction, and settles their promises. Never throws. */
  commit(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.delayed !== undefined) {
      clearTimeout(this.delayed);
      this.delayed = undefined;
      waiting.delete(this);
    }
    const jobs = this.queued;
    if (jobs.length === 0) return;
    this.queued = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.runGroup.immediate(jobs);
    } catch (err: unknown) {
      this.hooks.failed();
      for (const job of jobs) job.reject(err);
      return;
    }
    this.hooks.committed();
    jobs.forEach((job, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}
