import { FlickrBreaker, type UpstreamScriptStore } from '../../src/flickr/flickr.breaker';

/** The Redis store as the breaker sees it: records what it is asked, answers a scripted reply or fails. */
class ScriptedStore implements UpstreamScriptStore {
  readonly calls: Array<{ keys: readonly string[]; args: ReadonlyArray<string | number> }> = [];
  next: unknown = [0, 0];

  async script(_name: string, _lua: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    this.calls.push({ keys, args });
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
}

const shared = { shared: true, probe: false, fails: 0 };

describe('FlickrBreaker', () => {
  let now: number;
  let store: ScriptedStore;
  let breaker: FlickrBreaker;

  beforeEach(() => {
    now = 5_000_000;
    store = new ScriptedStore();
    breaker = new FlickrBreaker(store, 3, 60_000, () => now);
  });

  it('a success with nothing to reset costs no round trip (the hot path)', async () => {
    expect(await breaker.record('default', 'other', shared)).toEqual({});
    expect(store.calls).toHaveLength(0);
  });

  it('a success after 429s, or the probe, resets the shared state; a 429 is always recorded', async () => {
    await breaker.record('default', 'other', { ...shared, fails: 2 });
    expect(store.calls[0]).toEqual({ keys: ['flickr-breaker', 'flickr-breaker:probe'], args: ['ok', 3, 60_000, '0'] });
    await breaker.record('app-2', 'other', { ...shared, probe: true, fails: 3 });
    expect(store.calls[1]).toEqual({ keys: ['flickr-breaker@app-2', 'flickr-breaker@app-2:probe'], args: ['ok', 3, 60_000, '1'] });
    await breaker.record('default', 'rate-limited', shared);
    expect(store.calls[2]!.args[0]).toBe('429');
  });

  it("gives the shared breaker's open period as the Retry-After of a 429 that opened it", async () => {
    store.next = [1, 59_001];
    expect(await breaker.record('default', 'rate-limited', shared)).toEqual({ openForS: 60 });
    store.next = [0, 0];
    expect(await breaker.record('default', 'rate-limited', shared)).toEqual({});
  });

  it("follows shared outcomes locally, so this process's view is warm when Redis goes away", async () => {
    for (let i = 0; i < 3; i++) await breaker.record('default', 'rate-limited', shared);
    expect(breaker.localState('default')).toBe('open');
    expect(breaker.checkLocally('default')).toEqual({ allowed: false, retryAfterS: 60 });
    // A success the fleet saw closes it here as well.
    await breaker.record('default', 'other', { ...shared, probe: true, fails: 3 });
    expect(breaker.localState('default')).toBe('closed');
  });

  it('locally: N consecutive 429s open; another outcome in between resets the count', async () => {
    const local = { shared: false, probe: false, fails: 0 };
    await breaker.record('default', 'rate-limited', local);
    await breaker.record('default', 'rate-limited', local);
    await breaker.record('default', 'other', local);
    await breaker.record('default', 'rate-limited', local);
    await breaker.record('default', 'rate-limited', local);
    expect(breaker.localState('default')).toBe('closed');
    expect(await breaker.record('default', 'rate-limited', local)).toEqual({ openForS: 60 });
    expect(breaker.localState('default')).toBe('open');
    expect(store.calls).toHaveLength(0);
  });

  it("locally: half-open lets one probe through; its 429 reopens, a late success of an earlier call does not close", async () => {
    const local = { shared: false, probe: false, fails: 0 };
    for (let i = 0; i < 3; i++) await breaker.record('default', 'rate-limited', local);
    now += 60_000;
    expect(breaker.localState('default')).toBe('half-open');
    expect(breaker.checkLocally('default')).toEqual({ allowed: true, probe: true });
    expect(breaker.checkLocally('default')).toEqual({ allowed: false, retryAfterS: 1 });
    await breaker.record('default', 'other', local); // an answer to a call sent before the breaker opened
    expect(breaker.localState('default')).toBe('half-open');
    expect(await breaker.record('default', 'rate-limited', { ...local, probe: true })).toEqual({ openForS: 60 });
    expect(breaker.checkLocally('default')).toEqual({ allowed: false, retryAfterS: 60 });
  });

  it('falls back to the local state when Redis fails while recording', async () => {
    store.next = new Error('Connection is closed.');
    for (let i = 0; i < 2; i++) expect(await breaker.record('default', 'rate-limited', shared)).toEqual({});
    expect(await breaker.record('default', 'rate-limited', shared)).toEqual({ openForS: 60 });
  });
});
