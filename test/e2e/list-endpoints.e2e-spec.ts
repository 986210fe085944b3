import { randomUUID } from 'node:crypto';
import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { UploadJobRepository } from '../../src/uploads/upload-job.repository';
import { UPLOAD_JOB_MODEL, type UploadJobRecord, type UploadStatus } from '../../src/uploads/upload-job.schema';
import { scopedUserKey } from '../../src/users/user.identity';
import { type FlickrConnectionState, USER_MODEL, type UserRecord } from '../../src/users/user.schema';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { uploadJobRecord } from '../support/factories/upload-job.factory';
import { startTestApp, type TestApp } from '../support/test-app';

interface UserItem {
  user_id: string;
  created_at: string;
  flickr: { state: string; nsid?: string };
}
interface JobItem {
  job_id: string;
  user_id: string;
  kind: string;
  status: string;
  created_at: string;
  [field: string]: unknown;
}
interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

const ORIGINAL = 1000;
const STATES: Array<FlickrConnectionState | null> = [null, 'connected', 'reauthorization_required'];
const STATUSES: UploadStatus[] = ['queued', 'active', 'completed', 'failed', 'expired', 'cancelled'];

/** A deterministic shuffle, so that the tie-breaker order differs from the insertion order. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  let seed = 42;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Strictly ascending in (created_at, tie-breaker): the order every page and page boundary must keep. */
function expectAscending<T extends { created_at: string }>(items: T[], tie: (item: T) => string): void {
  for (let i = 1; i < items.length; i++) {
    const [a, b] = [Date.parse(items[i - 1].created_at), Date.parse(items[i].created_at)];
    if (!(a < b || (a === b && tie(items[i - 1]) < tie(items[i])))) {
      throw new Error(`out of order at ${i}: ${JSON.stringify(items[i - 1])} then ${JSON.stringify(items[i])}`);
    }
  }
}

function duplicatesOf(ids: string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}

describe('list endpoints GET /v1/users and GET /v1/uploads (real app, FerretDB)', () => {
  let t: TestApp;
  let keyA: string;
  let keyB: string;
  let clientA: string;
  let clientB: string;
  let users: Model<UserRecord>;
  let jobsRepo: UploadJobRepository;
  /** A's stored users and jobs, as inserted before any listing. */
  const usersA: Array<{ user_id: string; created_at: Date; state: FlickrConnectionState | null }> = [];
  const jobsA: UploadJobRecord[] = [];
  /** Instants the original items span (all in the past, so items created during the test come after them). */
  const base = Date.now() - 3_600_000;

  const get = (path: string, key: string) => fetch(`${t.url}${path}`, { headers: { 'x-api-key': key } });
  const page = async <T>(path: string, key: string): Promise<Page<T>> => {
    const res = await get(path, key);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Page<T>;
  };
  /** Follows next_cursor from the first page to the last, calling `between` after every page but the last. */
  const walk = async <T>(path: string, key: string, limit: number, between?: (pageNo: number) => Promise<void>): Promise<{ items: T[]; pages: number }> => {
    const items: T[] = [];
    let pages = 0;
    let cursor: string | null = null;
    const sep = path.includes('?') ? '&' : '?';
    do {
      const p: Page<T> = await page<T>(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, key);
      expect(p.items.length).toBeLessThanOrEqual(limit);
      // Only the last page may be short; it has no cursor.
      if (p.next_cursor !== null) expect(p.items).toHaveLength(limit);
      items.push(...p.items);
      cursor = p.next_cursor;
      pages++;
      if (between && cursor) await between(pages);
    } while (cursor && pages < 2_000);
    return { items, pages };
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { ...AUTH_TEST_ENV, RATE_LIMIT_ENABLED: 'false' } });
    clientA = `list-a-${randomUUID().slice(0, 8)}`;
    clientB = `list-b-${randomUUID().slice(0, 8)}`;
    keyA = (await createApiKey(t.app, { client_id: clientA })).api_key;
    keyB = (await createApiKey(t.app, { client_id: clientB })).api_key;
    users = t.app.get<Model<UserRecord>>(getModelToken(USER_MODEL), { strict: false });
    jobsRepo = t.app.get(UploadJobRepository, { strict: false });
    const jobs = t.app.get<Model<UploadJobRecord & { _id: string }>>(getModelToken(UPLOAD_JOB_MODEL), { strict: false });

    // 1,000 users of A, ten per millisecond (ties broken by user_id, whose order the shuffle decouples from the
    // insertion order), a third each not connected / connected / reauthorization_required.
    const ids = shuffled(Array.from({ length: ORIGINAL }, (_, i) => `u-${String(i).padStart(4, '0')}`));
    ids.forEach((user_id, i) => usersA.push({ user_id, created_at: new Date(base + Math.floor(i / 10)), state: STATES[i % 3] }));
    const record = (clientId: string, u: { user_id: string; created_at: Date; state: FlickrConnectionState | null }, nsid: string): UserRecord => ({
      _id: scopedUserKey({ clientId, userId: u.user_id }),
      client_id: clientId,
      user_id: u.user_id,
      created_at: u.created_at,
      flickr: u.state
        ? { state: u.state, nsid, username: 'someone', fullname: '', perms: 'write', connected_at: u.created_at, changed_at: u.created_at, app_id: 'default' }
        : null,
    });
    // B: 300 users at the same instants, 200 of them with A's user ids (user ids are per client) and
    // connected under a Flickr account marked as B's, 100 with ids A does not have.
    const usersB = [
      ...usersA.slice(0, 200).map((u) => ({ ...u, state: 'connected' as const })),
      ...Array.from({ length: 100 }, (_, i) => ({ user_id: `b-only-${i}`, created_at: new Date(base + i), state: null })),
    ];
    await users.insertMany([...usersA.map((u) => record(clientA, u, 'A@N00')), ...usersB.map((u) => record(clientB, u, 'B@N00'))]);

    // 1,000 jobs of A over 20 users and every status, five per millisecond; 200 of B at the same instants.
    const jobIds = shuffled(Array.from({ length: ORIGINAL }, () => randomUUID()));
    jobIds.forEach((job_id, i) =>
      jobsA.push(
        uploadJobRecord({ job_id, client_id: clientA, key_id: 'key-a', user_id: `u-${String(i % 20).padStart(4, '0')}`, status: STATUSES[i % STATUSES.length], created_at: new Date(base + Math.floor(i / 5)) }),
      ),
    );
    const jobsB = Array.from({ length: 200 }, (_, i) => uploadJobRecord({ client_id: clientB, key_id: 'key-b', user_id: `u-${String(i % 20).padStart(4, '0')}`, created_at: new Date(base + i) }));
    await jobs.insertMany([...jobsA, ...jobsB].map((r) => ({ _id: r.job_id, ...r })));
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  describe('GET /v1/users', () => {
    it('pages through all 1,000 users once each, in a stable order, while new users are added between pages; B never appears', async () => {
      const added: string[] = [];
      const { items, pages } = await walk<UserItem>('/v1/users', keyA, 37, async (pageNo) => {
        // A new user of A through the API (created now: after every cursor), one of B, and one of A stored
        // with an instant the walk has already passed (it may be missing, but must not disturb the rest).
        const id = `new-${pageNo}`;
        expect((await fetch(`${t.url}/v1/users/${id}`, { method: 'PUT', headers: { 'x-api-key': keyA } })).status).toBe(200);
        expect((await fetch(`${t.url}/v1/users/b-new-${pageNo}`, { method: 'PUT', headers: { 'x-api-key': keyB } })).status).toBe(200);
        added.push(id);
        await users.create({ _id: scopedUserKey({ clientId: clientA, userId: `late-${pageNo}` }), client_id: clientA, user_id: `late-${pageNo}`, created_at: new Date(base), flickr: null });
      });
      const ids = items.map((u) => u.user_id);
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(ORIGINAL / 37));
      expect(duplicatesOf(ids)).toEqual([]);
      // No gap: every user that existed before the walk is there.
      const seen = new Set(ids);
      expect(usersA.filter((u) => !seen.has(u.user_id))).toEqual([]);
      // New users created during the walk come after every cursor: they all appear, at the end.
      expect(added.filter((id) => !seen.has(id))).toEqual([]);
      const lastOriginal = Math.max(...usersA.map((u) => ids.indexOf(u.user_id)));
      expect(added.filter((id) => ids.indexOf(id) < lastOriginal)).toEqual([]);
      // Nothing of B's (its own ids, and its users named like A's carry B's Flickr account).
      expect(ids.filter((id) => id.startsWith('b-'))).toEqual([]);
      expect(items.filter((u) => u.flickr.nsid === 'B@N00')).toEqual([]);
      expectAscending(items, (u) => u.user_id);
      // Only the public view: no client id, no token.
      expect(Object.keys(items[0]).sort()).toEqual(['created_at', 'flickr', 'user_id']);
    });

    it.each([
      ['connected', 'connected'],
      ['not_connected', null],
      ['reauthorization_required', 'reauthorization_required'],
    ] as const)('filters by state=%s (exactly the users in that state)', async (state, stored) => {
      const { items } = await walk<UserItem>(`/v1/users?state=${state}`, keyA, 100);
      expect(items.every((u) => u.flickr.state === state)).toBe(true);
      const ids = items.map((u) => u.user_id).filter((id) => id.startsWith('u-'));
      expect(duplicatesOf(ids)).toEqual([]);
      expect(ids.sort()).toEqual(usersA.filter((u) => u.state === stored).map((u) => u.user_id).sort());
      expectAscending(items, (u) => u.user_id);
    });

    it("a cursor from A's list only positions B's own list: B sees none of A's users", async () => {
      const first = await page<UserItem>('/v1/users?limit=5', keyA);
      expect(first.next_cursor).not.toBeNull();
      const { items } = await walk<UserItem>(`/v1/users?cursor=${encodeURIComponent(first.next_cursor as string)}`, keyB, 500);
      expect(items.length).toBeGreaterThan(0);
      expect(items.filter((u) => u.flickr.nsid === 'A@N00')).toEqual([]);
      expect(items.every((u) => u.flickr.nsid === 'B@N00' || u.user_id.startsWith('b-'))).toBe(true);
    });

    it('limit defaults to 50 and the last page has next_cursor null', async () => {
      const first = await page<UserItem>('/v1/users', keyB);
      expect(first.items).toHaveLength(50);
      const { items } = await walk<UserItem>('/v1/users', keyB, 500);
      const last = await page<UserItem>(`/v1/users?limit=${items.length}`, keyB);
      expect(last.next_cursor).toBeNull();
    });
  });

  describe('GET /v1/uploads', () => {
    it('pages through all 1,000 jobs once each while new jobs are added between pages; B never appears; items as GET /v1/uploads/:job_id', async () => {
      const added: string[] = [];
      const { items } = await walk<JobItem>('/v1/uploads', keyA, 45, async () => {
        const fresh = uploadJobRecord({ client_id: clientA, key_id: 'key-a', user_id: 'u-0001', created_at: new Date() });
        await jobsRepo.insert(fresh);
        await jobsRepo.insert(uploadJobRecord({ client_id: clientB, key_id: 'key-b', user_id: 'u-0001', created_at: new Date() }));
        added.push(fresh.job_id);
      });
      const ids = items.map((j) => j.job_id);
      expect(duplicatesOf(ids)).toEqual([]);
      const seen = new Set(ids);
      expect(jobsA.filter((j) => !seen.has(j.job_id))).toEqual([]);
      expect(added.filter((id) => !seen.has(id))).toEqual([]);
      expect(ids.length).toBe(ORIGINAL + added.length);
      expectAscending(items, (j) => j.job_id);
      // The same shape as GET /v1/uploads/:job_id, for a few items of each kind of position.
      for (const item of [items[0], items[1], items[500], items[items.length - 1]]) {
        const res = await get(`/v1/uploads/${item.job_id}`, keyA);
        expect(res.status).toBe(200);
        expect(item).toEqual(await res.json());
      }
    });

    it('filters by user_id, status, both, and a created_at range [from, to)', async () => {
      const original = new Set(jobsA.map((j) => j.job_id));
      /** Every item matches; of the jobs stored before the test, exactly `want` (jobs added since are created now). */
      const expectFiltered = async (query: string, want: UploadJobRecord[], matches: (j: JobItem) => boolean) => {
        const { items } = await walk<JobItem>(`/v1/uploads?${query}`, keyA, 200);
        expect(items.filter((j) => !matches(j))).toEqual([]);
        expect(duplicatesOf(items.map((j) => j.job_id))).toEqual([]);
        expect(items.map((j) => j.job_id).filter((id) => original.has(id)).sort()).toEqual(want.map((j) => j.job_id).sort());
        expectAscending(items, (j) => j.job_id);
        return items;
      };
      expect(await expectFiltered('user_id=u-0007', jobsA.filter((j) => j.user_id === 'u-0007'), (j) => j.user_id === 'u-0007')).not.toHaveLength(0);
      expect(await expectFiltered('status=failed', jobsA.filter((j) => j.status === 'failed'), (j) => j.status === 'failed')).not.toHaveLength(0);
      expect(
        await expectFiltered('user_id=u-0003&status=failed', jobsA.filter((j) => j.user_id === 'u-0003' && j.status === 'failed'), (j) => j.user_id === 'u-0003' && j.status === 'failed'),
      ).not.toHaveLength(0);
      const from = new Date(base + 50);
      const to = new Date(base + 120);
      const inRange = (j: { created_at: Date | string }) => new Date(j.created_at) >= from && new Date(j.created_at) < to;
      const range = `from=${from.toISOString()}&to=${to.toISOString()}`;
      expect(await expectFiltered(range, jobsA.filter(inRange), inRange)).toHaveLength(350);
      await expectFiltered(`user_id=u-0001&${range}`, jobsA.filter((j) => j.user_id === 'u-0001' && inRange(j)), (j) => j.user_id === 'u-0001' && inRange(j));
      // An open-ended range: from alone, to alone.
      await expectFiltered(`to=${from.toISOString()}`, jobsA.filter((j) => j.created_at < from), (j) => new Date(j.created_at) < from);
      await expectFiltered(`from=${to.toISOString()}&status=queued`, jobsA.filter((j) => j.created_at >= to && j.status === 'queued'), (j) => new Date(j.created_at) >= to && j.status === 'queued');
    });

    it("B's list never holds A's jobs, even with A's cursor", async () => {
      const first = await page<JobItem>('/v1/uploads?limit=3', keyA);
      const { items } = await walk<JobItem>(`/v1/uploads?cursor=${encodeURIComponent(first.next_cursor as string)}`, keyB, 500);
      expect(items.length).toBeGreaterThan(0);
      const ofA = new Set(jobsA.map((j) => j.job_id));
      expect(items.filter((j) => ofA.has(j.job_id))).toEqual([]);
      // A user id both clients use: B gets its own user's jobs only.
      const sameName = await walk<JobItem>('/v1/uploads?user_id=u-0007', keyB, 500);
      expect(sameName.items.length).toBeGreaterThan(0);
      expect(sameName.items.filter((j) => ofA.has(j.job_id))).toEqual([]);
    });
  });

  describe('malformed queries: 400 validation-failed problem+json', () => {
    const userCursor = Buffer.from(`${Date.now().toString(36)}.u-0001`).toString('base64url');
    it.each([
      ['users: a cursor that is not base64url', '/v1/users?cursor=not%20a%20cursor'],
      ['users: a cursor of random bytes', `/v1/users?cursor=${Buffer.from('garbage').toString('base64url')}`],
      ['users: a cursor with a forbidden id', `/v1/users?cursor=${Buffer.from('kx.a/b').toString('base64url')}`],
      ['users: an unknown state', '/v1/users?state=online'],
      ['users: limit 0', '/v1/users?limit=0'],
      ['users: limit 501', '/v1/users?limit=501'],
      ['users: limit not a number', '/v1/users?limit=ten'],
      ['users: an unknown parameter', '/v1/users?sort=desc'],
      ['uploads: a users cursor', `/v1/uploads?cursor=${userCursor}`],
      ['uploads: a truncated cursor', `/v1/uploads?cursor=${userCursor.slice(0, 5)}`],
      ['uploads: an unknown status', '/v1/uploads?status=done'],
      ['uploads: a malformed user_id', '/v1/uploads?user_id=a%2Fb'],
      ['uploads: from not a date-time', '/v1/uploads?from=yesterday'],
      ['uploads: an impossible date', '/v1/uploads?from=2026-02-30T00:00:00Z'],
      ['uploads: from not before to', '/v1/uploads?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z'],
      ['uploads: limit 1000', '/v1/uploads?limit=1000'],
    ])('%s', async (_what, path) => {
      const res = await get(path, keyA);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:validation-failed', status: 400 });
    });

    it('the user cursor above is well-formed for the users list (so the uploads refusal is about the list)', async () => {
      expect((await get(`/v1/users?cursor=${userCursor}`, keyA)).status).toBe(200);
    });

    it('both lists need a client key', async () => {
      expect((await fetch(`${t.url}/v1/users`)).status).toBe(401);
      expect((await fetch(`${t.url}/v1/uploads`)).status).toBe(401);
    });
  });
});
