import mongoose from 'mongoose';
import { RequestLogBuffer } from '../../src/request-log/request-log.buffer';
import { RequestLogConfig } from '../../src/request-log/request-log.config';
import { RequestLogRepository } from '../../src/request-log/request-log.repository';
import { REQUEST_LOG_MODEL, type RequestLogBatch, type RequestLogRecord, requestLogSchema } from '../../src/request-log/request-log.schema';
import { FerretDBProcess } from '../support/processes';

const counter = () => {
  let value = 0;
  return { inc: (n = 1) => void (value += n), get value() { return value; } };
};

/**
 * The request log's batches when MongoDB dies between two flushes, against a FerretDB of its own that is killed
 * and restarted: the flush fails without throwing, keeps every record, and the next flush after the restart writes
 * each record exactly once, readable per client as before.
 */
describe('request log across a MongoDB outage (own FerretDB)', () => {
  let ferret: FerretDBProcess;
  let connection: mongoose.Connection;

  beforeAll(async () => {
    ferret = await FerretDBProcess.start();
    connection = await mongoose.createConnection(ferret.uri, { dbName: 'audit_outage', serverSelectionTimeoutMS: 500, socketTimeoutMS: 2000 }).asPromise();
  }, 60_000);
  afterAll(async () => {
    await connection?.close(true).catch(() => undefined);
    await ferret?.remove();
  });

  it('a flush while the database is down keeps the records; after the restart each is written once', async () => {
    const model = connection.model<RequestLogBatch>(REQUEST_LOG_MODEL, requestLogSchema(90));
    const repo = new RequestLogRepository(model);
    const config = Object.assign(new RequestLogConfig(), { AUDIT_BATCH_SIZE: 50, AUDIT_BUFFER_MAX_ENTRIES: 1000 });
    const [written, dropped, failures] = [counter(), counter(), counter()];
    const buffer = new RequestLogBuffer(repo, config, written as never, dropped as never, failures as never);
    const record = (client: string, i: number): RequestLogRecord => ({
      at: new Date(Date.now() + i), key_id: `key_${client}`, client_id: client, source_ip: '198.51.100.7', method: 'GET',
      route: '/v1/users/:user_id', user_id: `u${i % 3}`, status: 200, latency_ms: 1, request_id: `${client}-${i}`,
    });

    for (let i = 0; i < 30; i++) buffer.add(record(i % 2 ? 'ca' : 'cb', i));
    await ferret.stop();
    await expect(buffer.flush()).resolves.toBeUndefined();
    expect(failures.value).toBeGreaterThanOrEqual(1);
    expect(buffer.pending).toBe(30);
    expect(dropped.value).toBe(0);

    await ferret.restart();
    for (let i = 30; i < 40; i++) buffer.add(record(i % 2 ? 'ca' : 'cb', i));
    // The driver finds the server again within its heartbeat; until then a flush fails and keeps the records.
    for (let attempt = 0; attempt < 40 && buffer.pending > 0; attempt++) {
      await buffer.flush();
      if (buffer.pending > 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(buffer.pending).toBe(0);
    expect(written.value).toBe(40);
    const ids = (records: Array<{ request_id: string }>) => records.map((r) => r.request_id).sort();
    const expected = (client: string) => Array.from({ length: 40 }, (_, i) => i).filter((i) => (i % 2 ? 'ca' : 'cb') === client).map((i) => `${client}-${i}`).sort();
    expect(ids(await repo.find({ client_id: 'ca' }, 500))).toEqual(expected('ca'));
    expect(ids(await repo.find({ client_id: 'cb' }, 500))).toEqual(expected('cb'));
  }, 60_000);
});
