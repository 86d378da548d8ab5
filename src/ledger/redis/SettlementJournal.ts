import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UsageRecord } from '../../core/UsageRecord.js';
import type { Bucket } from '../Ledger.js';

/** One settlement that could not reach Redis: what `settle` was called with. */
export interface JournalEntry {
  record: UsageRecord;
  buckets: readonly Bucket[];
}

/** Entries taken from the journal for a replay, and the files they came from. */
export interface JournalTake {
  entries: JournalEntry[];
  files: string[];
  /** Lines that were not valid entries (a torn write); they are dropped with the file. */
  unreadable: number;
}

/** Journals of ledgers alive in this process (`<pid>-<instance>`): never claimed by another ledger here. */
const liveInstances = new Set<string>();

const FILE_RE = /^(\d+)-([0-9a-f]+)(?:-\d+)?\.(?:jsonl|replaying)$/;

/**
 * The local journal of settlements that could not reach Redis (an outage, or no answer in
 * time): one JSON line per settlement, appended synchronously (it survives a crash of the
 * process, not necessarily of the machine), in a directory shared by every process that uses
 * the same store. Each ledger writes its own file `<pid>-<instance>.jsonl`; a replay takes the
 * ledger's own file and the files of processes that are gone, each claimed by an atomic
 * rename so that two processes never replay the same file. Replaying is settling again by id,
 * which Redis does at most once, so an entry replayed twice (a crash between the replay and
 * the removal of the file) is still counted once.
 */
export class SettlementJournal {
  private readonly instance = randomBytes(6).toString('hex');
  private readonly name = `${process.pid}-${this.instance}`;
  private seq = 0;
  private own = 0;
  private madeDir = false;

  constructor(readonly dir: string) {
    liveInstances.add(this.name);
  }

  /** The default directory for a store: `<os.tmpdir()>/tollgate-journal-<hash of the URL and key prefix>`. */
  static defaultDir(url: string, keyPrefix: string): string {
    const id = createHash('sha256').update(`${url}\n${keyPrefix}`).digest('hex').slice(0, 16);
    return join(tmpdir(), `tollgate-journal-${id}`);
  }

  /** Settlements this ledger journaled and has not replayed yet. */
  get pending(): number {
    return this.own;
  }

  /** Appends one settlement (synchronously: it is on disk when this returns). */
  append(entries: readonly JournalEntry[]): void {
    if (entries.length === 0) return;
    if (!this.madeDir) {
      mkdirSync(this.dir, { recursive: true });
      this.madeDir = true;
    }
    appendFileSync(join(this.dir, `${this.name}.jsonl`), entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    this.own += entries.length;
  }

  /** Whether the directory holds files of this ledger or of processes that are gone. */
  hasWork(): boolean {
    return this.own > 0 || this.claimable().length > 0;
  }

  /** Claims this ledger's file and those of processes that are gone, and reads their entries. */
  take(): JournalTake {
    const files: string[] = [];
    for (const file of this.claimable()) {
      const claimed = join(this.dir, `${this.name}-${++this.seq}.replaying`);
      try {
        renameSync(join(this.dir, file), claimed);
        files.push(claimed);
      } catch (err: unknown) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // another process claimed it first
      }
    }
    this.own = 0;
    const entries: JournalEntry[] = [];
    let unreadable = 0;
    for (const file of files) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line === '') continue;
        const entry = parseEntry(line);
        if (entry === undefined) unreadable++;
        else entries.push(entry);
      }
    }
    return { entries, files, unreadable };
  }

  /** Ends a replay: entries that still could not be settled go back into the journal, the claimed files go. */
  finish(take: JournalTake, failed: readonly JournalEntry[]): void {
    this.append(failed);
    for (const file of take.files) unlinkSync(file);
  }

  /** Stops marking this ledger's file as in use (another ledger may then replay what is left). */
  close(): void {
    liveInstances.delete(this.name);
  }

  /** Files to replay: this ledger's own, and those whose process is gone. */
  private claimable(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names.filter((file) => {
      const m = FILE_RE.exec(file);
      if (m === null) return false;
      const owner = `${m[1]}-${m[2]}`;
      if (owner === this.name) return file.endsWith('.jsonl');
      return Number(m[1]) === process.pid ? !liveInstances.has(owner) : !processAlive(Number(m[1]));
    });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseEntry(line: string): JournalEntry | undefined {
  try {
    const value = JSON.parse(line) as Partial<JournalEntry>;
    if (typeof value.record?.id !== 'string' || !Array.isArray(value.buckets)) return undefined;
    return value as JournalEntry;
  } catch {
    return undefined;
  }
}
