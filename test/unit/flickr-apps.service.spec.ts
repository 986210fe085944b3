import type { Envelope } from '../../src/kms/envelope';
import { FlickrAppCache } from '../../src/flickr-apps/flickr-app.cache';
import type { FlickrAppChangeBus } from '../../src/flickr-apps/flickr-app-change.bus';
import type { FlickrAppRepository } from '../../src/flickr-apps/flickr-app.repository';
import type { FlickrAppRecord } from '../../src/flickr-apps/flickr-app.schema';
import type { FlickrAppSealer } from '../../src/flickr-apps/flickr-app.sealer';
import type { FlickrAppsConfig } from '../../src/flickr-apps/flickr-apps.config';
import { appIdOf, FlickrAppsService, GATEWAY_APP_ID } from '../../src/flickr-apps/flickr-apps.service';
import type { SecurityEvents } from '../../src/security-events/security-events.service';
import type { UserConnectionService } from '../../src/users/user-connection.service';

/** The service with its adapters replaced: an in-memory collection, a reversible "sealer", recorders. */
function setup(ttlMs = 60_000) {
  const records = new Map<string, FlickrAppRecord>();
  const log = { reads: 0, opened: [] as string[], published: [] as string[], marked: [] as Array<[string, string]>, events: [] as Array<Record<string, unknown>> };
  const repo = {
    findByClient: async (clientId: string) => {
      log.reads++;
      return records.get(clientId) ?? null;
    },
    put: async (r: Omit<FlickrAppRecord, 'created_at'>) => {
      const stored = { ...r, created_at: records.get(r._id)?.created_at ?? r.updated_at };
      records.set(r._id, stored);
      return stored;
    },
    deleteByClient: async (clientId: string) => {
      const r = records.get(clientId) ?? null;
      records.delete(clientId);
      return r;
    },
  } as unknown as FlickrAppRepository;
  // "Sealed" means bound to the client: opening under another client fails, like the envelope's context.
  const sealer = {
    seal: async (clientId: string, secret: string) => ({ sealedFor: clientId, secret }) as unknown as Envelope,
    open: async (clientId: string, sealed: { sealedFor: string; secret: string }) => {
      if (sealed.sealedFor !== clientId) throw new Error('envelope of another record');
      log.opened.push(clientId);
      return sealed.secret;
    },
  } as unknown as FlickrAppSealer;
  const listeners: Array<(id: string) => void> = [];
  const bus = {
    onChange: (l: (id: string) => void) => listeners.push(l),
    onResubscribed: () => undefined,
    publish: async (id: string) => {
      log.published.push(id);
      // Like Redis pub/sub: every replica hears it, this one included.
      listeners.forEach((l) => l(id));
    },
  } as unknown as FlickrAppChangeBus;
  const cache = new FlickrAppCache({ FLICKR_APPS_CACHE_TTL_MS: ttlMs } as FlickrAppsConfig, bus);
  let connected = 0;
  const connections = {
    markClientReauthorizationRequired: async (clientId: string, appId: string) => {
      log.marked.push([clientId, appId]);
      return connected;
    },
  } as unknown as UserConnectionService;
  const audit = { record: async (e: Record<string, unknown>) => void log.events.push(e) } as unknown as SecurityEvents;
  const service = new FlickrAppsService(repo, sealer, cache, bus, connections, audit);
  return { service, records, log, setConnected: (n: number) => (connected = n) };
}

describe('FlickrAppsService', () => {
  it("gives a client its own app: stores the secret sealed for that client, answers without it, switches the client's connections", async () => {
    const t = setup();
    t.setConnected(4);
    const set = await t.service.put('c1', { consumer_key: 'key-1', consumer_secret: 'secret-1' }, 'admin-key:k');
    expect(set).toMatchObject({ client_id: 'c1', app_id: appIdOf('key-1'), consumer_key: 'key-1', budget_per_hour: 3500, switched: true, reauthorization_required: 4 });
    expect(JSON.stringify(set)).not.toContain('secret-1');
    expect(t.records.get('c1')).toMatchObject({ app_id: appIdOf('key-1'), secret_enc: { sealedFor: 'c1' }, budget_per_hour: null });
    // Every connection not issued to the new app (here: the gateway's) must be re-authorised.
    expect(t.log.marked).toEqual([['c1', appIdOf('key-1')]]);
    expect(t.log.published).toEqual(['c1']);
    expect(t.log.events).toEqual([
      expect.objectContaining({
        action: 'flickr_app.created',
        actor: 'admin-key:k',
        target: 'c1',
        client_id: 'c1',
        details: expect.objectContaining({ previous_app_id: GATEWAY_APP_ID, app_id: appIdOf('key-1'), switched: true, reauthorization_required: 4 }),
      }),
    ]);
    expect(JSON.stringify(t.log.events)).not.toContain('secret-1');
  });

  it('a new secret (or budget) for the same consumer key is a rotation: no connection is touched', async () => {
    const t = setup();
    await t.service.put('c1', { consumer_key: 'key-1', consumer_secret: 'secret-1' }, 'a');
    const rotated = await t.service.put('c1', { consumer_key: 'key-1', consumer_secret: 'secret-2', budget_per_hour: 100 }, 'a');
    expect(rotated).toMatchObject({ switched: false, reauthorization_required: 0, budget_per_hour: 100 });
    expect(t.log.marked).toHaveLength(1);
    expect(t.log.events[1]).toMatchObject({ action: 'flickr_app.updated', details: { switched: false, previous_app_id: appIdOf('key-1') } });
    await expect(t.service.resolve('c1')).resolves.toMatchObject({ consumerSecret: 'secret-2', budgetPerHour: 100 });
  });

  it('another consumer key is a switch: connections of any other app are marked', async () => {
    const t = setup();
    await t.service.put('c1', { consumer_key: 'key-1', consumer_secret: 's' }, 'a');
    const switched = await t.service.put('c1', { consumer_key: 'key-2', consumer_secret: 's' }, 'a');
    expect(switched).toMatchObject({ switched: true, app_id: appIdOf('key-2') });
    expect(t.log.marked).toEqual([
      ['c1', appIdOf('key-1')],
      ['c1', appIdOf('key-2')],
    ]);
    expect(appIdOf('key-1')).not.toBe(appIdOf('key-2'));
  });

  it("removing takes the client back to the gateway's app (404 when it had none)", async () => {
    const t = setup();
    await expect(t.service.remove('c1', 'a')).rejects.toMatchObject({ slug: 'not-found' });
    expect(t.log.marked).toEqual([]);
    await t.service.put('c1', { consumer_key: 'key-1', consumer_secret: 's' }, 'a');
    t.setConnected(2);
    await expect(t.service.remove('c1', 'a')).resolves.toEqual({ client_id: 'c1', app_id: GATEWAY_APP_ID, reauthorization_required: 2 });
    expect(t.log.marked.at(-1)).toEqual(['c1', GATEWAY_APP_ID]);
    expect(t.log.events.at(-1)).toMatchObject({ action: 'flickr_app.removed', details: { previous_app_id: appIdOf('key-1'), app_id: GATEWAY_APP_ID } });
    await expect(t.service.resolve('c1')).resolves.toBeNull();
    await expect(t.service.get('c1')).rejects.toMatchObject({ slug: 'not-found' });
  });

  it('get shows the app without its secret', async () => {
    const t = setup();
    await t.service.put('c1', { consumer_key: 'key-1', consumer_secret: 'secret-1', budget_per_hour: 7 }, 'a');
    const shown = await t.service.get('c1');
    expect(Object.keys(shown).sort()).toEqual(['app_id', 'budget_per_hour', 'client_id', 'consumer_key', 'created_at', 'updated_at']);
    expect(shown.budget_per_hour).toBe(7);
  });

  describe('resolve', () => {
    it('opens the secret once and serves later calls from the cache; a client without an app is cached as null too', async () => {
      const t = setup();
      await t.service.put('c1', { consumer_key: 'key-1', consumer_secret: 'secret-1' }, 'a');
      t.log.reads = 0;
      const [a, b] = await Promise.all([t.service.resolve('c1'), t.service.resolve('c1')]);
      expect(a).toEqual({ clientId: 'c1', appId: appIdOf('key-1'), consumerKey: 'key-1', consumerSecret: 'secret-1', budgetPerHour: 3500 });
      expect(b).toBe(a);
      await t.service.resolve('c1');
      expect(t.log.reads).toBe(1);
      expect(t.log.opened).toEqual(['c1']);

      await expect(t.service.resolve('c2')).resolves.toBeNull();
      await expect(t.service.resolve('c2')).resolves.toBeNull();
      expect(t.log.reads).toBe(2);
    });

    it('a change announced by any replica drops the cached app', async () => {
      const t = setup();
      await t.service.put('c1', { consumer_key: 'key-1', consumer_secret: 's1' }, 'a');
      await t.service.resolve('c1');
      await t.service.put('c1', { consumer_key: 'key-2', consumer_secret: 's2' }, 'a');
      await expect(t.service.resolve('c1')).resolves.toMatchObject({ consumerKey: 'key-2', consumerSecret: 's2' });
    });

    it('with a TTL of 0 every resolve reads the record', async () => {
      const t = setup(0);
      await t.service.put('c1', { consumer_key: 'key-1', consumer_secret: 's' }, 'a');
      t.log.reads = 0;
      await t.service.resolve('c1');
      await t.service.resolve('c1');
      expect(t.log.reads).toBe(2);
    });

    it('an envelope copied onto another client does not open', async () => {
      const t = setup();
      await t.service.put('c1', { consumer_key: 'key-1', consumer_secret: 's' }, 'a');
      t.records.set('c2', { ...t.records.get('c1')!, _id: 'c2' });
      await expect(t.service.resolve('c2')).rejects.toThrow('envelope of another record');
    });
  });
});
