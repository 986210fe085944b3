import { RequestLogConfig } from '../../src/request-log/request-log.config';
import { RequestLogBuffer } from '../../src/request-log/request-log.buffer';
import type { RequestLogRepository } from '../../src/request-log/request-log.repository';
import type { RequestLogRecord } from '../../src/request-log/request-log.schema';

const counter = () => {
  let value = 0;
  return { inc: (n = 1) => void (value += n), get value() { return value; } };
};

const record = (i: number): RequestLogRecord => ({
  at: new Date(), key_id: 'k', client_id: 'c', source_ip: '127.0.0.1', method: 'GET', route: '/v1/x',
  user_id: null, status: 200, latency_ms: i, request_id: `r${i}`,
});

function setup(insert: (records: RequestLogRecord[]) => Promise<void>, max = 5, batch = 2) {
  const config = Object.assign(new RequestLogConfig(), { AUDIT_BUFFER_MAX_ENTRIES: max, AUDIT_BATCH_SIZE: batch });
  const written = counter();
  const dropped = counter();
  const failures = counter();
  const repo = { insertMany: insert } as unknown as RequestLogRepository;
  const buffer = new RequestLogBuffer(repo, config, written as any, dropped as any, failures as any);
  return { buffer, written, dropped, failures };
}

describe('RequestLogBuffer (repository replaced)', () => {
  it('writes in batches', async () => {
    const batches: number[] = [];
    const { buffer, written } = setup(async (r) => void batches.push(r.length), 100, 2);
    for (let i = 0; i < 5; i++) buffer.add(record(i));
    await buffer.flush();
    expect(batches.every((n) => n <= 2)).toBe(true);
    expect(written.value).toBe(5);
    expect(buffer.pending).toBe(0);
  });

  it('keeps records while MongoDB is down and counts (not silently drops) what overflows', async () => {
    let down = true;
    const stored: RequestLogRecord[] = [];
    const { buffer, dropped, failures } = setup(async (r) => {
      if (down) throw new Error('MongoNetworkError');
      stored.push(...r);
    }, 5, 2);
    for (let i = 0; i < 8; i++) buffer.add(record(i));
    await buffer.flush();
    expect(failures.value).toBeGreaterThan(0);
    expect(buffer.pending).toBe(5);
    expect(dropped.value).toBe(3);
    down = false;
    await buffer.flush();
    // Every record is either written or counted as dropped.
    expect(stored).toHaveLength(5);
    expect(stored.length + dropped.value).toBe(8);
    expect(new Set(stored.map((r) => r.request_id)).size).toBe(5);
  });

  it('add() never throws or waits', () => {
    const { buffer } = setup(() => new Promise(() => undefined), 1, 1);
    expect(() => {
      buffer.add(record(1));
      buffer.add(record(2));
    }).not.toThrow();
  });
});
