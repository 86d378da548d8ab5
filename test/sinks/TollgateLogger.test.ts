import * as otelApi from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { hostLoggerRegistered, TollgateLogger } from '../../src/sinks/TollgateLogger.js';

const T0 = Date.UTC(2026, 11, 3, 10, 0, 0);

/** The logs API of @opentelemetry/api 1.10+ (where the SDK 3.x line registers its provider); undefined on api 1.9. */
const apiLogs = (otelApi as unknown as { logs?: typeof logs }).logs;

function capture(options: ConstructorParameters<typeof TollgateLogger>[0] = {}): { logger: TollgateLogger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new TollgateLogger({ clock: () => T0, write: (l) => lines.push(l), ...options }), lines };
}

describe('TollgateLogger', () => {
  afterEach(() => {
    logs.disable();
    apiLogs?.disable();
  });

  it('keeps lines at or above its level (default warn) and drops the rest', () => {
    const { logger, lines } = capture({ json: true });
    logger.log('debug', 'd');
    logger.log('info', 'i');
    logger.log('warn', 'w');
    logger.log('error', 'e');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['w', 'e']);
    expect(logger.enabled('info')).toBe(false);

    const info = capture({ level: 'info', json: true });
    info.logger.log('debug', 'd');
    info.logger.log('info', 'i');
    expect(info.lines).toHaveLength(1);

    const off = capture({ level: 'off', json: true });
    off.logger.log('error', 'e');
    expect(off.lines).toEqual([]);
  });

  it('writes one JSON object per line (not a TTY), leaving undefined fields out', () => {
    const { logger, lines } = capture({ json: true });
    logger.log('warn', 'daily budget 80% used', { budgetId: 'daily', spentUsd: 16, key: undefined, deny: false });
    expect(lines).toEqual([`${JSON.stringify({ time: '2026-12-03T10:00:00.000Z', level: 'warn', msg: 'daily budget 80% used', budgetId: 'daily', spentUsd: 16, deny: false })}\n`]);
  });

  it('writes readable text on a TTY', () => {
    const { logger, lines } = capture({ json: false, level: 'info' });
    logger.log('info', 'chat gpt-4o', { inputTokens: 12, task: 'T 1' });
    expect(lines).toEqual(['2026-12-03T10:00:00.000Z INFO  tollgate: chat gpt-4o inputTokens=12 task="T 1"\n']);
  });

  it('emits OTel log records instead when the host registered a logger provider (looked up at each line)', async () => {
    const { logger, lines } = capture({ json: true, version: '9.9.9' });
    expect(hostLoggerRegistered()).toBe(false);
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    logs.setGlobalLoggerProvider(provider);
    expect(hostLoggerRegistered()).toBe(true);
    logger.log('warn', 'over budget', { budgetId: 'daily', spentUsd: 1.5 });
    logger.log('info', 'dropped by the level');
    await provider.forceFlush();
    const records = exporter.getFinishedLogRecords();
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record?.body).toBe('over budget');
    expect(record?.severityText).toBe('WARN');
    expect(record?.attributes).toEqual({ budgetId: 'daily', spentUsd: 1.5 });
    expect(record?.instrumentationScope).toMatchObject({ name: 'tollgate', version: '9.9.9' });
    expect(lines).toEqual([]); // nothing on stderr when OTel takes the line
    await provider.shutdown();
  });

  // The SDK 3.x line (sdk-node 0.3xx) registers its provider in @opentelemetry/api's logs, not in
  // @opentelemetry/api-logs. Runs where api >= 1.10 is installed (the Node 24 leg of CI).
  it.skipIf(apiLogs === undefined)('emits to a provider registered in @opentelemetry/api (1.10+, the SDK 3.x line) too', async () => {
    const { logger, lines } = capture({ json: true });
    expect(hostLoggerRegistered()).toBe(false);
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    apiLogs?.setGlobalLoggerProvider(provider);
    expect(hostLoggerRegistered()).toBe(true);
    logger.log('error', 'store down', { store: 'redis' });
    await provider.forceFlush();
    expect(exporter.getFinishedLogRecords().map((r) => [r.body, r.severityText, r.attributes])).toEqual([['store down', 'ERROR', { store: 'redis' }]]);
    expect(lines).toEqual([]);
    apiLogs?.disable();
    expect(hostLoggerRegistered()).toBe(false);
    logger.log('error', 'back on stderr');
    expect(lines).toHaveLength(1);
    await provider.shutdown();
  });

  it('never throws when the writer fails', () => {
    const logger = new TollgateLogger({ json: true, write: () => { throw new Error('EPIPE'); } });
    expect(() => logger.log('error', 'x')).not.toThrow();
  });
});
