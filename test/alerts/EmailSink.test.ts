import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/Alert.js';
import { EmailSink } from '../../src/alerts/EmailSink.js';
import { emailMessage } from '../../src/alerts/emailMessage.js';
import { freePort } from '../helpers/freePort.js';
import { startSmtpReceiver } from '../helpers/smtpReceiver.js';
import type { SmtpReceiver } from '../helpers/smtpReceiver.js';

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);
const threshold: Alert = { kind: 'threshold', budgetId: 'daily', scope: 'daily', key: 'global', threshold: 0.8, spentUsd: 16, limitUsd: 20, time: T0 };
const health: Alert = { kind: 'health_check_failed', failed: [{ check: 'store', error: 'connect ECONNREFUSED 127.0.0.1:1' }], time: T0 };

describe('EmailSink', () => {
  let smtp: SmtpReceiver;
  beforeAll(async () => {
    smtp = await startSmtpReceiver();
  });
  afterAll(async () => {
    await smtp.close();
  });

  it('sends each alert as a plain-text email through the SMTP server (nodemailer)', async () => {
    const sink = new EmailSink({ url: smtp.url, from: 'tollgate@example.com', to: ['ops@example.com', 'cfo@example.com'], service: 'checkout' });
    sink.send(threshold);
    sink.send(health);
    await sink.flush();
    const [first, second] = [await smtp.waitForMail(1), await smtp.waitForMail(2)];
    expect(first.from).toBe('tollgate@example.com');
    expect(first.to).toEqual(['ops@example.com', 'cfo@example.com']);
    expect(first.subject).toBe('[checkout] tollgate: daily budget 80% used ($16.00 of $20.00)');
    expect(first.body).toContain('budgetId: daily');
    expect(first.body).toContain('time: 2026-12-03T12:00:00.000Z');
    expect(second.subject).toBe('[checkout] tollgate: health check failed (store: connect ECONNREFUSED 127.0.0.1:1)');
    expect(sink.stats()).toEqual({ delivered: 2, errors: 0, dropped: 0 });
    await sink.shutdown();
    sink.send(threshold);
    expect(sink.stats().dropped).toBe(1);
  });

  it('counts a delivery that fails for good (no server) without throwing', async () => {
    const port = await freePort();
    const sink = new EmailSink({ url: `smtp://127.0.0.1:${port}`, from: 'a@example.com', to: ['b@example.com'], retries: 0, timeoutMs: 2000 });
    expect(() => sink.send(threshold)).not.toThrow();
    await sink.flush();
    expect(sink.stats()).toEqual({ delivered: 0, errors: 1, dropped: 0 });
    await sink.shutdown();
  });

  it('names the option at construction', () => {
    expect(() => new EmailSink({ url: 'http://x', from: 'a@example.com', to: ['b@example.com'] })).toThrow(/option "url" must be an smtp:\/\/ or smtps:\/\/ URL/);
    expect(() => new EmailSink({ url: 'smtp://x', from: 'nobody', to: ['b@example.com'] })).toThrow(/option "from"/);
    expect(() => new EmailSink({ url: 'smtp://x', from: 'a@example.com', to: [] })).toThrow(/option "to"/);
  });

  it('emailMessage: the summary as subject, every field in the body', () => {
    const m = emailMessage({ kind: 'rate_limited', provider: 'openai', limit: 'rpm', action: 'reject', used: 500, max: 500, retryAfterMs: 1200, time: T0 });
    expect(m.subject).toBe('tollgate: openai rpm limit reached, a call was refused (500 of 500 used)');
    expect(m.text.split('\n')).toEqual([m.subject, '', 'kind: rate_limited', 'provider: openai', 'limit: rpm', 'action: reject', 'used: 500', 'max: 500', 'retryAfterMs: 1200', 'time: 2026-12-03T12:00:00.000Z', '']);
  });
});
