import { describe, expect, it } from 'vitest';
import { SseReader } from '../../web/src/sseReader.js';

describe('SseReader (the page\'s event-stream parser)', () => {
  it('returns whole messages across chunk boundaries and skips comments and heartbeats', () => {
    const reader = new SseReader();
    expect(reader.push(': connected\n\nevent: usage\nda')).toEqual([]);
    expect(reader.push('ta: {"a":1}\n\n: heartbeat\n\nevent: threshold\r\ndata: x\r\ndata: y\r\n\r\n')).toEqual([
      { event: 'usage', data: '{"a":1}' },
      { event: 'threshold', data: 'x\ny' },
    ]);
    expect(reader.push('data: plain\n\n')).toEqual([{ event: 'message', data: 'plain' }]);
  });
});
