import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { ProblemException } from '../../src/common/problem/problem.exception';
import { RequestLogRepository, type StoredRequestLog } from '../../src/request-log/request-log.repository';
import type { RequestLogRecord } from '../../src/request-log/request-log.schema';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The request log's storage against the real FerretDB: records stored as one batch document per client per flush,
 * read back as single records, filtered and paged exactly as one document per record was, next to documents of the
 * earlier format (one record each).
 */
describe('request log batches (FerretDB)', () => {
  let t: TestApp;
  let repo: RequestLogRepository;
  let service: RequestLogService;
  let collection: ReturnType<Connection['collection']>;
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  let sequence = 0;

  beforeAll(async () => {
    t = await startTestApp();
    repo = t.app.get(RequestLogRepository, { strict: false });
    service = t.app.get(RequestLogService, { strict: false });
    collection = t.app.get<Connection>(getConnectionToken()).collection('audit_logs');
  });
  afterAll(async () => t?.close());

  /** A record `seconds` after t0; every record's request id is unique and says which it is. */
  const record = (clientId: string | null, fields: Partial<RequestLogRecord> & { seconds: number }): RequestLogRecord => {
    const { seconds, ...rest } = fields;
    return {
      at: new Date(t0 + seconds * 1000),
      key_id: clientId ? `key_${clientId}` : null,
      client_id: clientId,
      source_ip: '203.0.113.9',
      method: 'GET',
      route: '/v1/users/:user_id',
      user_id: 'u1',
      status: 200,
      latency_ms: 1.25,
      request_id: `req-${++sequence}`,
      ...rest,
    };
  };
  const ids = (records: readonly StoredRequestLog[]) => records.map((r) => r.request_id);
  /** Every page of a query, `limit` at a time, through the service's cursors. */
  const walk = async (filter: Parameters<RequestLogService['query']>[0], limit: number) => {
    const seen: StoredRequestLog[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await service.query(filter, limit, cursor);
      seen.push(...page.items);
      if (!page.next_cursor) return seen;
      cursor = page.next_cursor;
    }
    throw new Error('paging never ended');
  };

  it('stores one document per client per flush and reads every record back, newest first, with its client', async () => {
    const batch = [
      record('ca', { seconds: 1 }),
      record('cb', { seconds: 2, key_id: 'key_cb2', user_id: 'u2' }),
      record('ca', { seconds: 3, user_id: null }),
      record(null, { seconds: 4, status: 401, user_id: 'u1' }),
      record('cb', { seconds: 5 }),
    ];
    const before = await collection.countDocuments({});
    await repo.insertMany(batch);
    expect((await collection.countDocuments({})) - before).toBe(3);
    const stored = await collection.findOne({ client_id: 'cb' });
    expect(stored).toMatchObject({ client_id: 'cb', at: batch[4]!.at, first_at: batch[1]!.at });
    expect(JSON.parse(stored!.records as string)).toHaveLength(2);
    expect([...(stored!.key_id as string[])].sort()).toEqual(['key_cb', 'key_cb2']);
    expect([...(stored!.user_id as string[])].sort()).toEqual(['u1', 'u2']);

    const ca = await repo.find({ client_id: 'ca' }, 10);
    expect(ids(ca)).toEqual([batch[2]!.request_id, batch[0]!.request_id]);
    expect(ca[1]).toEqual({ id: expect.stringMatching(/^[0-9a-f]{24}\.0$/), ...batch[0] });
    const anonymous = await repo.find({ user_id: 'u1', to: new Date(t0 + 4500) }, 10);
    expect(anonymous.find((r) => r.status === 401)).toMatchObject({ client_id: null, key_id: null });
  });

  it('filters inside a batch exactly: only the records of that key, user and time range', async () => {
    const batch = [
      record('cf', { seconds: 10, key_id: 'key_f1', user_id: 'alice' }),
      record('cf', { seconds: 11, key_id: 'key_f2', user_id: 'bob' }),
      record('cf', { seconds: 12, key_id: 'key_f1', user_id: 'bob' }),
      record('cf', { seconds: 13, key_id: 'key_f2', user_id: 'alice' }),
      record('cg', { seconds: 12, key_id: 'key_g1', user_id: 'bob' }),
    ];
    await repo.insertMany(batch);
    const req = (...indexes: number[]) => indexes.map((i) => batch[i]!.request_id);
    expect(ids(await repo.find({ key_id: 'key_f1' }, 10))).toEqual(req(2, 0));
    expect(ids(await repo.find({ client_id: 'cf', user_id: 'bob' }, 10))).toEqual(req(2, 1));
    // Another client's records never answer a client's filter, even for the same user and time.
    expect(ids(await repo.find({ client_id: 'cg', user_id: 'bob' }, 10))).toEqual(req(4));
    expect(ids(await repo.find({ client_id: 'cf', from: new Date(t0 + 11_000), to: new Date(t0 + 13_000) }, 10))).toEqual(req(2, 1));
    expect(ids(await repo.find({ client_id: 'cf', key_id: 'key_f2', user_id: 'alice' }, 10))).toEqual(req(3));
    expect(await repo.find({ client_id: 'cf', from: new Date(t0 + 14_000) }, 10)).toEqual([]);
    expect(await repo.find({ client_id: 'cf', to: new Date(t0 + 10_000) }, 10)).toEqual([]);
  });

  it('pages through many batches and earlier-format documents, every record exactly once, in order', async () => {
    // Two documents of the earlier format (one record each, scalar fields), written before batches existed.
    const legacy = [record('cp', { seconds: 20, user_id: 'pat' }), record('cp', { seconds: 21, user_id: 'sam' })];
    for (const r of legacy) await collection.insertOne({ ...r });
    // Then 7 flushes of uneven sizes, one of them without any record of the filtered user.
    const flushes: RequestLogRecord[][] = [];
    let s = 22;
    for (const size of [1, 5, 3, 4, 2, 6, 3]) {
      const flush = Array.from({ length: size }, (_, i) => record('cp', { seconds: s++, user_id: i % 2 === 0 ? 'pat' : 'sam' }));
      flushes.push(flush);
      await repo.insertMany(flush);
    }
    await repo.insertMany([record('cp', { seconds: s++, user_id: 'sam' })]);
    const all = [...legacy, ...flushes.flat()];
    const newestFirst = (rs: RequestLogRecord[]) => rs.map((r) => r.request_id).reverse();
    const everything = await walk({ client_id: 'cp' }, 500);
    expect(everything).toHaveLength(all.length + 1);

    for (const limit of [1, 2, 3, 7]) {
      const pat = await walk({ client_id: 'cp', user_id: 'pat' }, limit);
      expect(ids(pat)).toEqual(newestFirst(all.filter((r) => r.user_id === 'pat')));
      expect(new Set(pat.map((r) => r.id)).size).toBe(pat.length);
    }
    // Legacy documents come back with their bare _id as id, and a cursor on one goes on behind it.
    const tail = await walk({ client_id: 'cp', user_id: 'pat' }, 1);
    const legacyPat = tail[tail.length - 1]!;
    expect(legacyPat.id).toMatch(/^[0-9a-f]{24}$/);
    expect(legacyPat.request_id).toBe(legacy[0]!.request_id);
    expect((await service.query({ client_id: 'cp' }, 10, legacyPat.id)).items).toEqual([]);
  });

  it('keeps any text a record holds exactly: quotes, backslashes, line breaks, characters outside ASCII', async () => {
    const odd = record('co', { seconds: 40, user_id: 'ü"\\\n\u2028東京🚀', request_id: `r-"quoted"\\${sequence}`, route: '/v1/"x"' });
    await repo.insertMany([odd, record('co', { seconds: 41 })]);
    const [found] = await repo.find({ client_id: 'co', user_id: odd.user_id! }, 10);
    expect(found).toEqual({ id: expect.any(String), ...odd });
  });

  it('refuses a cursor it did not make with 400 validation-failed', async () => {
    for (const cursor of ['nope', 'ffffffffffffffffffffffff.x', 'ffffffffffffffffffffffff.1234567', '{"$gt":""}']) {
      await expect(service.query({}, 10, cursor)).rejects.toBeInstanceOf(ProblemException);
    }
  });
});
