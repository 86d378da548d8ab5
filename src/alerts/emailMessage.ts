import type { Alert } from './Alert.js';
import { alertSummary } from './alertSummary.js';

/** The subject and plain-text body of an alert email. */
export interface EmailMessage {
  subject: string;
  text: string;
}

/**
 * Build the email for one alert (a pure function): the subject is the one-line summary
 * (`[service] ` first when a service is named), the body repeats it and lists every field of
 * the event, with the time as ISO-8601 UTC.
 */
export function emailMessage(alert: Alert, service?: string): EmailMessage {
  const summary = alertSummary(alert);
  const fields = Object.entries(alert)
    .filter(([key, value]) => key !== 'time' && value !== undefined)
    .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  const lines = [summary, '', ...fields, `time: ${new Date(alert.time).toISOString()}`, ...(service !== undefined ? [`service: ${service}`] : [])];
  return { subject: service !== undefined ? `[${service}] ${summary}` : summary, text: `${lines.join('\n')}\n` };
}
