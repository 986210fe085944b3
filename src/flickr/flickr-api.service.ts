import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ProblemException } from '../common/problem/problem.exception';
import { SlidingWindowStore } from '../rate-limit/sliding-window.store';
import { DEFAULT_APP_ID, FlickrBreaker } from './flickr.breaker';
import { type Admission, type BudgetApp, type BudgetCaller, FlickrBudget, FlickrFairShareExceededProblem } from './flickr.budget';
import { FlickrCache } from './flickr.cache';
import { FlickrLocalCache } from './flickr-local.cache';
import { type FlickrAnswer, FlickrClient, type FlickrUserToken, toUpstreamError } from './flickr.client';
import { FlickrConfig } from './flickr.config';
import {
  FlickrErrorProblem,
  FlickrReauthorizationRequiredProblem,
  FlickrUnavailableProblem,
  FlickrUpstreamError,
  UnknownFlickrMethodProblem,
} from './flickr.errors';
import { FlickrMetrics } from './flickr.metrics';
import { type FlickrMethodPolicy, flickrMethodPolicy } from './flickr.methods';

/** Flickr codes that mean our request or credentials are wrong, not the caller's: a bad gateway. */
const OUR_FAULT = new Set([95, 96, 97, 100, 111, 112, 114, 115, 116]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The gateway's own Flickr app (FLICKR_CONSUMER_KEY), for calls that name no app. */
const DEFAULT_APP: BudgetApp = { id: DEFAULT_APP_ID };

/**
 * The rules around every call to Flickr: allowlist, read cache, then per Flickr
 * app one admission in Redis (the breaker shared by all replicas, the app's
 * budget and the caller's fair share of it: one Lua script), retries with full
 * jitter for idempotent reads only, and the mapping of Flickr's failures to problems.
 */
@Injectable()
export class FlickrApiService implements OnApplicationShutdown {
  private readonly breaker: FlickrBreaker;
  private readonly budget: FlickrBudget;
  /** Retry-After of a 429 that found (or left) the breaker open, for toProblem. */
  private readonly openFor = new WeakMap<object, number>();

  constructor(
    private readonly client: FlickrClient,
    private readonly cache: FlickrCache,
    private readonly localCache: FlickrLocalCache,
    store: SlidingWindowStore,
    private readonly config: FlickrConfig,
    private readonly metrics: FlickrMetrics,
  ) {
    this.breaker = new FlickrBreaker(store, config.FLICKR_BREAKER_THRESHOLD, config.FLICKR_BREAKER_OPEN_MS);
    this.budget = new FlickrBudget(store, this.breaker, {
      limit: config.FLICKR_BUDGET_LIMIT,
      windowMs: config.FLICKR_BUDGET_WINDOW_MS,
      fallbackLimit: config.FLICKR_BUDGET_FALLBACK_LIMIT,
      reservePercent: config.FLICKR_BUDGET_RESERVE_PERCENT,
      // One attempt's longest wait, plus a margin: a probe that never reports (crashed replica) frees the lock.
      probeLockMs: config.FLICKR_TIMEOUT_MS + 1000,
    });
  }

  /** The proxy's policy for a method (catalogue + FLICKR_CACHE_TTL_OVERRIDES), or a 400 problem when it is not proxiable. */
  policyOf(method: string): FlickrMethodPolicy {
    const policy = flickrMethodPolicy(method, this.config.FLICKR_CACHE_TTL_OVERRIDES);
    if (!policy) throw new UnknownFlickrMethodProblem(method);
    return policy;
  }

  /** Drops every cached answer of the user whose scopes start with `userScopePrefix`. */
  purgeCache(userScopePrefix: string): Promise<number> {
    this.localCache.purge(userScopePrefix);
    return this.cache.purge(userScopePrefix);
  }

  /** This process's own view of the breaker of the gateway's app (it follows every outcome this process sees; the fleet's state is in Redis). */
  get breakerState(): 'closed' | 'open' | 'half-open' {
    return this.breaker.localState(DEFAULT_APP_ID);
  }

  /**
   * Calls an allowed REST method as a user. Reads may come from the cache
   * unless `bypassCache`; `token` may be a reader, called only when the answer is not cached; `userScope` names the user's cache entries (never a
   * bare user_id: two clients' users of the same name must not share answers). `caller` is the client the call
   * is made for (its fair share of the app's budget); `app` the Flickr app it is signed with (default: the gateway's).
   */
  async call(
    userScope: string,
    token: FlickrUserToken | (() => Promise<FlickrUserToken>),
    method: string,
    params: Record<string, string>,
    options: { bypassCache?: boolean; caller?: BudgetCaller; app?: BudgetApp } = {},
  ): Promise<FlickrAnswer> {
    return JSON.parse((await this.callJson(userScope, token, method, params, options)).toString('utf8')) as FlickrAnswer;
  }

  /**
   * {@link call}, answering Flickr's JSON as UTF-8 bytes: what the proxy route sends. A cached answer is served
   * as stored (no parse, re-serialisation or re-encoding per hit); a fresh one is serialised and encoded once, for
   * the cache and the client alike.
   */
  async callJson(
    userScope: string,
    token: FlickrUserToken | (() => Promise<FlickrUserToken>),
    method: string,
    params: Record<string, string>,
    options: { bypassCache?: boolean; caller?: BudgetCaller; app?: BudgetApp } = {},
  ): Promise<Buffer> {
    const policy = this.policyOf(method);
    const key = policy.class === 'read' && policy.cacheTtlS > 0 ? FlickrCache.key(userScope, method, params) : undefined;
    if (key && !options.bypassCache) {
      // This process's copy first (no round trip), then Redis with the answer's remaining lifetime.
      const local = this.localCache.get(key);
      if (local !== undefined) {
        this.metrics.cache(true);
        return local;
      }
      // A cache outage only costs a trip to Flickr: the cache's connection fails at once while Redis is down
      // (within REDIS_COMMAND_TIMEOUT_MS when it does not answer), it never queues the read.
      const cached = await this.cache.getWithTtl(key).catch(() => undefined);
      this.metrics.cache(cached !== undefined);
      if (cached) {
        const body = Buffer.from(cached.json, 'utf8');
        this.localCache.put(key, body, cached.remainingMs);
        return body;
      }
    }
    // Only now, on the way to Flickr, is the token read (and decrypted) when the caller gave a reader.
    const credentials = typeof token === 'function' ? await token() : token;
    const answer = JSON.stringify(await this.upstream(policy.class, () => this.client.call(credentials, method, params), options.caller, options.app));
    const body = Buffer.from(answer, 'utf8');
    if (key) {
      // Not awaited: the caller has its answer; storing it for the next caller is not on this one's latency path.
      void this.cache.put(key, answer, policy.cacheTtlS).catch(() => undefined);
      this.localCache.put(key, body, policy.cacheTtlS * 1000);
    }
    return body;
  }

  /**
   * Runs one upstream exchange (any kind, e.g. OAuth or an upload) under the breaker, the budget of `app`
   * (default: the gateway's) and `caller`'s fair share of it; reads are retried.
   */
  async upstream<T>(cls: FlickrMethodPolicy['class'], call: () => Promise<T>, caller?: BudgetCaller, app?: BudgetApp): Promise<T> {
    const attempts = cls === 'read' ? 1 + this.config.FLICKR_READ_RETRIES : 1;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(cls, call, caller, app ?? DEFAULT_APP);
      } catch (error) {
        const retryable = error instanceof FlickrUpstreamError && error.transient && attempt + 1 < attempts;
        if (!retryable) throw this.toProblem(error);
        // Full jitter: a random delay up to base·2^attempt, so retrying replicas spread out.
        await sleep(Math.random() * this.config.FLICKR_RETRY_BASE_MS * 2 ** attempt);
      }
    }
  }

  private async once<T>(cls: string, call: () => Promise<T>, caller: BudgetCaller | undefined, app: BudgetApp): Promise<T> {
    // One round trip: the breaker, the app's budget and the caller's share. Without Redis this process's own
    // breaker and share (FLICKR_BUDGET_FALLBACK_LIMIT) decide; Flickr's own 429s still protect the key.
    const admission = await this.budget.take(app, caller);
    if (!admission.allowed) throw this.refusal(admission);
    this.metrics.called(cls);
    try {
      const result = await call();
      await this.breaker.record(app.id, 'other', admission);
      return result;
    } catch (error) {
      const upstream = toUpstreamError(error);
      const rateLimited = upstream.httpStatus === 429;
      const { openForS } = await this.breaker.record(app.id, rateLimited ? 'rate-limited' : 'other', admission);
      if (openForS !== undefined) this.openFor.set(upstream, openForS);
      this.metrics.failed(upstream.flickrCode !== undefined ? String(upstream.flickrCode) : upstream.httpStatus ? `http_${upstream.httpStatus}` : upstream.kind);
      throw upstream;
    }
  }

  private refusal(admission: Extract<Admission, { allowed: false }>): ProblemException {
    this.metrics.refusedLocally(admission.reason);
    if (admission.reason === 'fair-share') {
      return new FlickrFairShareExceededProblem(admission.retryAfterS, admission.used ?? 0, admission.share ?? 0, Math.round(this.config.FLICKR_BUDGET_WINDOW_MS / 1000));
    }
    return new FlickrUnavailableProblem(admission.reason, admission.retryAfterS);
  }

  /** Maps an upstream failure to the problem the client sees (always with Flickr's code when there is one). */
  toProblem(error: unknown): ProblemException {
    if (error instanceof ProblemException) return error;
    const e = toUpstreamError(error);
    if (e.kind === 'fail') {
      if (e.flickrCode === 98) return new FlickrReauthorizationRequiredProblem();
      const status = e.flickrCode === 1 ? 404 : e.flickrCode === 99 ? 403 : e.flickrCode === 105 ? 503 : OUR_FAULT.has(e.flickrCode ?? -1) ? 502 : 422;
      return new FlickrErrorProblem(status, e.flickrCode, e.httpStatus, `Flickr error ${e.flickrCode}: ${e.message}`);
    }
    if (e.kind === 'timeout') return new FlickrErrorProblem(504, undefined, undefined, 'Flickr did not answer in time.');
    if (e.httpStatus === 429) {
      return new FlickrErrorProblem(503, undefined, 429, 'Flickr is rate-limiting this service.', {
        'retry-after': String(this.openFor.get(e) ?? 30),
      });
    }
    return new FlickrErrorProblem(502, undefined, e.httpStatus, 'Flickr could not complete the call.');
  }

  onApplicationShutdown(): void {
    // Nothing to stop: the breaker has no timers (its state is in Redis, its fallback a timestamp).
  }
}
