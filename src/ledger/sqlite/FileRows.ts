import type { Nanos } from '../../core/money.js';

/** One of this instance's rows as the file has it. */
export interface FileRow {
  n: Nanos;
  e: number;
}

/**
 * This instance's rows of one kind in `bucket_holds` (its reservations, or its slack) as the file
 * holds them, by bucket key, so that a group writes only the rows that change. The writes of the
 * current group are kept apart until it commits (`commit`) or fails (`rollback`).
 */
export class FileRows {
  private readonly held = new Map<string, FileRow>();
  private readonly pending = new Map<string, FileRow | undefined>();

  /** The row as the file holds it once the current group commits; undefined: no row. */
  get(key: string): FileRow | undefined {
    return this.pending.has(key) ? this.pending.get(key) : this.held.get(key);
  }

  /** A zero row is no row. */
  set(key: string, row: FileRow): void {
    this.pending.set(key, row.n === 0 ? undefined : row);
  }

  commit(): void {
    for (const [key, row] of this.pending) {
      if (row === undefined) this.held.delete(key);
      else this.held.set(key, row);
    }
    this.pending.clear();
  }

  rollback(): void {
    this.pending.clear();
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}
