import { SeverityNumber } from '@opentelemetry/api-logs';
import type { AnyValueMap } from '@opentelemetry/api-logs';
import { hostLogger } from './hostLogs.js';

export { hostLoggerRegistered } from './hostLogs.js';

/** Levels of tollgate's log lines, most verbose first; 'off' logs nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';

/** The fields of one log line (numbers, strings, booleans; undefined fields are left out). */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Options of `TollgateLogger`. */
export interface TollgateLoggerOptions {
  /** Lines below this level are dropped. Default 'warn'. */
  level?: LogLevel;
  /** Where a line goes when no OTel logger provider is registered. Default: process.stderr. */
  write?: (line: string) => void;
  /** JSON lines (true) or readable text (false). Default: JSON unless stderr is a TTY. */
  json?: boolean;
  /** Epoch-ms clock for the `time` field. Default Date.now. */
  clock?: () => number;
  /** Version of the OTel `tollgate` logger (the package version). Default none. */
  version?: string;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };
const SEVERITY: Readonly<Record<Exclude<LogLevel, 'off'>, SeverityNumber>> = {
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
};
/**
 * tollgate's log lines. When the host has registered an OTel logger provider (SDK 2.x or 3.x line), each line is a log
 * record of the `tollgate` logger (severity, body = the message, attributes = the fields), so it
 * goes wherever the host's logs go. Otherwise it is written to stderr: a JSON object per line
 * (`{"time","level","msg",...fields}`) when stderr is not a TTY, readable text when it is.
 * The provider is looked up at each line, so one registered after tollgate was created is used.
 * Never throws: a failing writer is ignored.
 */
export class TollgateLogger {
  private readonly threshold: number;
  private readonly write: (line: string) => void;
  private readonly json: boolean;
  private readonly clock: () => number;
  private readonly version: string | undefined;

  constructor(options: TollgateLoggerOptions = {}) {
    this.threshold = RANK[options.level ?? 'warn'];
    this.write = options.write ?? ((line) => process.stderr.write(line));
    this.json = options.json ?? process.stderr.isTTY !== true;
    this.clock = options.clock ?? Date.now;
    this.version = options.version;
  }

  /** Whether lines of `level` are kept (callers skip building fields otherwise). */
  enabled(level: Exclude<LogLevel, 'off'>): boolean {
    return RANK[level] >= this.threshold;
  }

  log(level: Exclude<LogLevel, 'off'>, msg: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const kept: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) kept[k] = v;
    const time = this.clock();
    try {
      const otel = hostLogger('tollgate', this.version);
      if (otel !== undefined) {
        otel.emit({
          timestamp: time,
          severityNumber: SEVERITY[level],
          severityText: level.toUpperCase(),
          body: msg,
          attributes: kept as AnyValueMap,
        });
        return;
      }
      this.write(this.json ? `${JSON.stringify({ time: new Date(time).toISOString(), level, msg, ...kept })}\n` : `${textLine(time, level, msg, kept)}\n`);
    } catch {
      // A log line must never fail the call it describes.
    }
  }
}

/** `2026-12-03T10:00:00.000Z WARN  tollgate: msg key=value ...` */
function textLine(time: number, level: string, msg: string, fields: Record<string, string | number | boolean>): string {
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${new Date(time).toISOString()} ${level.toUpperCase().padEnd(5)} tollgate: ${msg}${rest ? ` ${rest}` : ''}`;
}
