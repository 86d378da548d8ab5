/**
 * A minimal SMTP receiver for tests (RFC 5321 without TLS or AUTH): it accepts every message,
 * keeps it, and lets a test wait for the next one. Real SMTP clients (nodemailer) talk to it
 * over TCP on 127.0.0.1.
 */
import { createServer } from 'node:net';
import type { Socket } from 'node:net';

/** One message as received. */
export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw message (headers and body, dot-unstuffed, CRLF line ends). */
  data: string;
  /** The decoded Subject header. */
  subject: string;
  /** The body after the headers (quoted-printable soft breaks joined). */
  body: string;
}

export interface SmtpReceiver {
  readonly port: number;
  /** `smtp://127.0.0.1:<port>` */
  readonly url: string;
  readonly messages: ReceivedMail[];
  /** Resolves with the `n`-th message (1-based; default: one more than now) once it has arrived. */
  waitForMail(n?: number, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const waiters: { n: number; resolve: (m: ReceivedMail) => void }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let inData = false;
    let from = '';
    let to: string[] = [];
    let data: string[] = [];
    const reply = (line: string): void => {
      socket.write(`${line}\r\n`);
    };
    reply('220 localhost test SMTP ready');
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            const mail = parse(from, to, data.join('\r\n'));
            messages.push(mail);
            for (const w of waiters.filter((w) => w.n <= messages.length)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(messages[w.n - 1] as ReceivedMail);
            }
            reply('250 OK queued');
          } else {
            data.push(line.startsWith('..') ? line.slice(1) : line);
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250 localhost');
        else if (verb === 'HELO') reply('250 localhost');
        else if (verb === 'MAIL') {
          from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          to = [];
          reply('250 OK');
        } else if (verb === 'RCPT') {
          to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          reply('250 OK');
        } else if (verb === 'DATA') {
          inData = true;
          data = [];
          reply('354 end with <CRLF>.<CRLF>');
        } else if (verb === 'RSET' || verb === 'NOOP') reply('250 OK');
        else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('502 command not implemented');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitForMail(n = messages.length + 1, timeoutMs = 10_000) {
      const have = messages[n - 1];
      if (have !== undefined) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no mail #${n} within ${timeoutMs} ms (have ${messages.length})`)), timeoutMs);
        waiters.push({
          n,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function parse(from: string, to: string[], data: string): ReceivedMail {
  const split = data.indexOf('\r\n\r\n');
  const head = split < 0 ? data : data.slice(0, split);
  const rawBody = split < 0 ? '' : data.slice(split + 4);
  const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
  const subjectLine = /^subject: (.*)$/im.exec(unfolded)?.[1] ?? '';
  const qp = /content-transfer-encoding: quoted-printable/i.test(unfolded);
  const body = qp ? decodeQuotedPrintable(rawBody) : rawBody;
  return { from, to, data, subject: decodeEncodedWords(subjectLine), body };
}

/** RFC 2047 `=?UTF-8?Q?...?=` / `=?UTF-8?B?...?=` words. */
function decodeEncodedWords(text: string): string {
  return text
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, value: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(value, 'base64').toString('utf8') : decodeQuotedPrintable(value.replace(/_/g, ' ')),
    );
}

function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const c = joined[i] as string;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
