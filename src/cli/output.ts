import Table from 'cli-table3';
import { formatUsd, usdToNanos } from '../core/money.js';

/** Writes a value as pretty JSON (one document) to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes a line to stdout. */
export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** Writes a warning line to stderr. */
export function printWarning(text: string): void {
  process.stderr.write(`warning: ${text}\n`);
}

/** A plain (uncoloured, so output is stable) table; columns listed in `rightAligned` are right-aligned. */
export function renderTable(head: string[], rows: (string | number)[][], rightAligned: readonly number[] = []): string {
  const table = new Table({
    head,
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_h, i) => (rightAligned.includes(i) ? 'right' : 'left')),
  });
  for (const row of rows) table.push(row.map((c) => String(c)));
  return table.toString();
}

/** Prints a table to stdout. */
export function printTable(head: string[], rows: (string | number)[][], rightAligned: readonly number[] = []): void {
  printLine(renderTable(head, rows, rightAligned));
}

/** A USD amount for humans: `$18.00`, `$0.075`; '-' for null. */
export function usd(value: number | null): string {
  return value === null ? '-' : formatUsd(usdToNanos(value));
}

/** 1000000 → '1,000,000'. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}
