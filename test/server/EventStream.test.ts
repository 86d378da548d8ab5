import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { usageRecord } from '../helpers/usageRecord.js';
import { rawRequest, startFixture } from './serverFixture.js';
import type { ServerFixture } from './serverFixture.js';

let fx: ServerFixture | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await fx?.server.close();
  fx = undefined;
});

/** Opens /v1/events on a raw socket; `read: false` never reads a byte after the request is sent. */
function openStream(port: number, read: boolean): Promise<{ socket: Socket; received: () => number; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let isClosed = false;
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(`GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      if (!read) socket.pause();
      resolve({ socket, received: () => bytes, closed: () => isClosed });
    });
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    socket.on('close', () => (isClosed = true));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

async function statsOf(port: number): Promise<{ clients: number; slowDisconnected: number; refused: number }> {
  const res = await rawRequest(port, { path: '/v1/status' });
  return (JSON.parse(res.text) as { events: { clients: number; slowDisconnected: number; refused: number } }).events;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Emits `perSecond` usage events for at least `ms`, in batches every 10 ms, and then on until
 * `done()` (checked twice a second, 20 s at most); returns the highest RSS seen. Each event is
 * about 2.5 KB (a record with metadata), so that in a few seconds a stalled client has more queued
 * than the loopback socket buffers take (about 4 MB) and the rest would wait in the server's
 * memory. A batch never holds more than 1/50 s of events: after a stall of this (busy) process the
 * rate resumes instead of bursting, so a client that reads is never handed seconds of events at once.
 */
async function flood(fixture: ServerFixture, perSecond: number, ms: number, done: () => Promise<boolean>): Promise<number> {
  const record = usageRecord({
    id: 'call',
    time: Date.now(),
    task: 'T-flood',
    session: 'S-flood',
    agent: 'researcher',
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    metadata: { note: 'm'.repeat(2_000) },
  });
  let peak = process.memoryUsage().rss;
  const start = Date.now();
  let sent = 0;
  let nextCheck = start + ms;
  for (;;) {
    const now = Date.now();
    if (now >= nextCheck) {
      if (now - start > 20_000 || (await done())) break;
      nextCheck = Date.now() + 500;
    }
    const due = Math.min(Math.floor(((now - start) / 1000) * perSecond), sent + Math.ceil(perSecond / 50));
    for (; sent < due; sent++) fixture.events.emit('usage', { record: { ...record, id: `call-${sent}` }, costUsd: 0.00035 });
    peak = Math.max(peak, process.memoryUsage().rss);
    await new Promise((r) => setTimeout(r, 10));
  }
  return peak;
}

describe('EventStream (/v1/events)', () => {
  it('keeps RSS growth under 50 MB with 50 clients that stop reading at 1,000 events/s, disconnecting and counting them', async () => {
    fx = await startFixture();
    const port = fx.server.port;
    const slow = await Promise.all(Array.from({ length: 50 }, () => openStream(port, false)));
    const reader = await openStream(port, true);
    await until(async () => (await statsOf(port)).clients === 51, 5_000);
    const before = process.memoryUsage().rss;
    const peak = await flood(fx, 1_000, 6_000, async () => (await statsOf(port)).slowDisconnected >= 50);
    const growthMb = (peak - before) / 1_048_576;
    expect(growthMb).toBeLessThan(50);
    const stats = await statsOf(port);
    expect(stats.slowDisconnected).toBe(50);
    expect(stats.clients).toBe(1);
    // Once a stalled client reads again, it finds its stream ended.
    for (const s of slow) s.socket.resume();
    await until(() => slow.every((s) => s.closed()), 5_000);
    // The client that reads keeps its stream and got the events.
    expect(reader.closed()).toBe(false);
    expect(reader.received()).toBeGreaterThan(1_000_000);
  }, 30_000);

  it('answers 503 with retry-after above maxClients, counts the refusal, and takes a client again once one leaves', async () => {
    fx = await startFixture({ sseMaxClients: 2 });
    const port = fx.server.port;
    const first = await openStream(port, true);
    await openStream(port, true);
    await until(async () => (await statsOf(port)).clients === 2, 5_000);
    const third = await rawRequest(port, { path: '/v1/events' });
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('10');
    expect((await statsOf(port)).refused).toBe(1);
    first.socket.destroy();
    await until(async () => (await statsOf(port)).clients === 1, 5_000);
    const again = await openStream(port, true);
    await until(() => again.received() > 0, 5_000);
    expect((await statsOf(port)).clients).toBe(2);
  });

  it('disconnects a client whose queue passes maxBufferedBytes even at a low event rate', async () => {
    fx = await startFixture({ sseMaxBufferedBytes: 4_096 });
    const port = fx.server.port;
    const stalled = await openStream(port, false);
    await until(async () => (await statsOf(port)).clients === 1, 5_000);
    const big = usageRecord({ id: 'big', time: 0, task: 'x'.repeat(2_000) });
    // Loopback socket buffers take a few MB before the server's own queue grows.
    let stats = await statsOf(port);
    for (let i = 0; i < 40 && stats.slowDisconnected === 0; i++) {
      for (let j = 0; j < 500; j++) fx.events.emit('usage', { record: big, costUsd: 0 });
      await new Promise((r) => setTimeout(r, 5));
      stats = await statsOf(port);
    }
    expect(stats).toMatchObject({ slowDisconnected: 1, clients: 0 });
    stalled.socket.resume();
    await until(() => stalled.closed(), 5_000);
  });
});
