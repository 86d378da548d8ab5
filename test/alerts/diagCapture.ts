import { diag, DiagLogLevel } from '@opentelemetry/api';

/** Capture OTel diag warnings and errors as plain strings, for the current test file. */
export function captureDiag(): { messages: string[]; restore: () => void } {
  const messages: string[] = [];
  const push =
    (level: string) =>
    (message: string, ...args: unknown[]): void => {
      messages.push(`${level} ${[message, ...args.map((a) => (a instanceof Error ? a.message : String(a)))].join(' ')}`);
    };
  diag.setLogger(
    { error: push('error'), warn: push('warn'), info: () => {}, debug: () => {}, verbose: () => {} },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  return { messages, restore: () => diag.disable() };
}
