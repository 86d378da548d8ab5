import { z } from 'zod';
import { ALERT_KINDS, type AlertKind } from '../alerts/Alert.js';

/** One alert sink (`[[alerts]]`). */
export interface AlertConfig {
  /** `slack` (incoming webhook), `webhook` (generic JSON POST) or `email` (SMTP). */
  type: 'slack' | 'webhook' | 'email';
  /** The receiver: an http(s) URL, or for `email` the SMTP server (`smtp://user:password@host:587`, `smtps://...:465`). */
  url: string;
  /** `email`: sender address. */
  from?: string;
  /** `email`: recipients (a string is one recipient). */
  to?: string[];
  /** Default: threshold, budget_exceeded, health_check_failed, store_reset (lease and rate_limited only when named). */
  events?: AlertKind[];
  /** Default 5000. */
  timeoutMs: number;
  /** Default 3. */
  retries: number;
  headers?: Record<string, string>;
}

const positiveInt = z.number({ error: 'expected a whole number of milliseconds > 0' }).int({ error: 'expected a whole number of milliseconds > 0' }).positive({ error: 'expected a whole number of milliseconds > 0' });
const email = z.string({ error: 'expected an email address' }).regex(/^[^@\s]+@[^@\s]+$/, { error: 'expected an email address' });

/** The `alerts` list of a configuration layer. */
export const AlertsSchema = z.array(
  z
    .strictObject({
      type: z.enum(['slack', 'webhook', 'email'], { error: 'expected slack, webhook or email' }),
      url: z.string({ error: 'expected an http(s) URL, or smtp(s):// for email' }).regex(/^(https?|smtps?):\/\/\S+$/, { error: 'expected an http(s) URL, or smtp(s):// for email' }),
      from: email.optional(),
      to: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(email, { error: 'expected a list of email addresses' }).min(1, { error: 'expected at least one recipient' })).optional(),
      events: z.array(z.enum(ALERT_KINDS as [AlertKind, ...AlertKind[]], { error: `expected ${ALERT_KINDS.join(', ')}` })).optional(),
      timeoutMs: positiveInt.optional(),
      retries: z.number({ error: 'expected a whole number >= 0' }).int({ error: 'expected a whole number >= 0' }).nonnegative({ error: 'expected a whole number >= 0' }).optional(),
      headers: z.record(z.string(), z.string({ error: 'expected a string header value' })).optional(),
    })
    .superRefine((a, ctx) => {
      const smtp = /^smtps?:/.test(a.url);
      if (a.type === 'email' && !smtp) ctx.addIssue({ code: 'custom', path: ['url'], message: 'expected an smtp:// or smtps:// URL for an email alert', input: a.url });
      if (a.type !== 'email' && smtp) ctx.addIssue({ code: 'custom', path: ['url'], message: `expected an http(s) URL for a ${a.type} alert`, input: a.url });
      if (a.type === 'email' && a.from === undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: 'expected the sender address of an email alert', params: { noInput: true } });
      if (a.type === 'email' && a.to === undefined) ctx.addIssue({ code: 'custom', path: ['to'], message: 'expected the recipients of an email alert', params: { noInput: true } });
    }),
  { error: 'expected a list of alert sinks' },
);
