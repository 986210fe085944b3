import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { NotFoundProblem } from '../common/problem/problem.exception';
import { SecurityEvents } from '../security-events/security-events.service';
import { UserConnectionService } from '../users/user-connection.service';
import { type ClientFlickrApp, FlickrAppCache } from './flickr-app.cache';
import { FlickrAppChangeBus } from './flickr-app-change.bus';
import { FlickrAppRepository } from './flickr-app.repository';
import { DEFAULT_APP_BUDGET_PER_HOUR, type FlickrAppRecord } from './flickr-app.schema';
import { FlickrAppSealer } from './flickr-app.sealer';

/** The app id of the gateway's own Flickr app (FLICKR_CONSUMER_KEY): what connections without an app id were issued to. */
export const GATEWAY_APP_ID = 'default';

/**
 * The id of the app behind a consumer key. Derived from the key, not random: Flickr binds tokens (and
 * its rate limit) to the consumer key, so the same key is the same app (budget, breaker, tokens), and a
 * new secret for the same key (rotation) keeps every connection. The key is public (it travels in every
 * signed request); the hash only keeps ids short and uniform.
 */
export function appIdOf(consumerKey: string): string {
  return `app_${createHash('sha256').update(consumerKey).digest('hex').slice(0, 20)}`;
}

/** What the admin sends to give a client its own app. */
export interface FlickrAppInput {
  consumer_key: string;
  consumer_secret: string;
  budget_per_hour?: number | null;
}

/** A client's app as the admin API shows it: never the secret. */
export interface FlickrAppView {
  client_id: string;
  app_id: string;
  consumer_key: string;
  budget_per_hour: number;
  created_at: Date;
  updated_at: Date;
}

/** What PUT answers: the app and what the change did to the client's connections. */
export interface FlickrAppSet extends FlickrAppView {
  /** True when the client's connections now belong to another app than before (another consumer key). */
  switched: boolean;
  /** Connected users of the client marked `reauthorization_required` by the switch. */
  reauthorization_required: number;
}

/** What DELETE answers: the client is back on the gateway's app. */
export interface FlickrAppRemoved {
  client_id: string;
  app_id: typeof GATEWAY_APP_ID;
  reauthorization_required: number;
}

const view = (r: FlickrAppRecord): FlickrAppView => ({
  client_id: r._id,
  app_id: r.app_id,
  consumer_key: r.consumer_key,
  budget_per_hour: r.budget_per_hour ?? DEFAULT_APP_BUDGET_PER_HOUR,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

/**
 * Per-client Flickr apps: the admin's writes (set, rotate, remove; each a security event) and the
 * resolution of a client's app for signing (cached per replica). Switching a client to another app
 * (another consumer key, or back to the gateway's) marks every connection whose token was issued to
 * a different app `reauthorization_required`: Flickr tokens are bound to the consumer key.
 */
@Injectable()
export class FlickrAppsService {
  private readonly logger = new Logger(FlickrAppsService.name);
  private readonly inflight = new Map<string, Promise<ClientFlickrApp | null>>();

  constructor(
    private readonly repo: FlickrAppRepository,
    private readonly sealer: FlickrAppSealer,
    private readonly cache: FlickrAppCache,
    private readonly changes: FlickrAppChangeBus,
    private readonly connections: UserConnectionService,
    private readonly audit: SecurityEvents,
  ) {}

  /** The client's own app with its secret in clear, or null when it uses the gateway's app. */
  async resolve(clientId: string): Promise<ClientFlickrApp | null> {
    const cached = this.cache.get(clientId);
    if (cached !== undefined) return cached;
    // Concurrent misses of one client share one read and one envelope opening.
    let pending = this.inflight.get(clientId);
    if (!pending) {
      const epoch = this.cache.epoch;
      pending = this.load(clientId)
        .then((app) => {
          this.cache.set(clientId, app, epoch);
          return app;
        })
        .finally(() => this.inflight.delete(clientId));
      this.inflight.set(clientId, pending);
    }
    return pending;
  }

  /** The client's app (no secret); 404 when it uses the gateway's app. */
  async get(clientId: string): Promise<FlickrAppView> {
    const record = await this.repo.findByClient(clientId);
    if (!record) throw new NotFoundProblem(`Client ${clientId} has no Flickr app of its own; it uses the gateway's.`);
    return view(record);
  }

  /**
   * Gives the client its own app, or changes it: a new secret for the same consumer key is a rotation
   * (connections keep working), another consumer key is a switch (connections must be re-authorised).
   */
  async put(clientId: string, input: FlickrAppInput, actor: string): Promise<FlickrAppSet> {
    const previous = await this.repo.findByClient(clientId);
    const appId = appIdOf(input.consumer_key);
    const record = await this.repo.put({
      _id: clientId,
      app_id: appId,
      consumer_key: input.consumer_key,
      secret_enc: await this.sealer.seal(clientId, input.consumer_secret),
      budget_per_hour: input.budget_per_hour ?? null,
      updated_at: new Date(),
    });
    await this.announce(clientId);
    const fromAppId = previous?.app_id ?? GATEWAY_APP_ID;
    const switched = fromAppId !== appId;
    const marked = switched ? await this.connections.markClientReauthorizationRequired(clientId, appId) : 0;
    await this.audit.record({
      action: previous ? 'flickr_app.updated' : 'flickr_app.created',
      actor,
      target: clientId,
      client_id: clientId,
      details: {
        client_id: clientId,
        app_id: appId,
        consumer_key: input.consumer_key,
        budget_per_hour: record.budget_per_hour ?? DEFAULT_APP_BUDGET_PER_HOUR,
        previous_app_id: fromAppId,
        switched,
        reauthorization_required: marked,
      },
    });
    return { ...view(record), switched, reauthorization_required: marked };
  }

  /** Takes the client back to the gateway's app; 404 when it has none of its own. */
  async remove(clientId: string, actor: string): Promise<FlickrAppRemoved> {
    const removed = await this.repo.deleteByClient(clientId);
    if (!removed) throw new NotFoundProblem(`Client ${clientId} has no Flickr app of its own; it uses the gateway's.`);
    await this.announce(clientId);
    const marked = await this.connections.markClientReauthorizationRequired(clientId, GATEWAY_APP_ID);
    await this.audit.record({
      action: 'flickr_app.removed',
      actor,
      target: clientId,
      client_id: clientId,
      details: { client_id: clientId, previous_app_id: removed.app_id, app_id: GATEWAY_APP_ID, switched: true, reauthorization_required: marked },
    });
    return { client_id: clientId, app_id: GATEWAY_APP_ID, reauthorization_required: marked };
  }

  private async load(clientId: string): Promise<ClientFlickrApp | null> {
    const record = await this.repo.findByClient(clientId);
    if (!record) return null;
    return {
      clientId,
      appId: record.app_id,
      consumerKey: record.consumer_key,
      consumerSecret: await this.sealer.open(clientId, record.secret_enc),
      budgetPerHour: record.budget_per_hour ?? DEFAULT_APP_BUDGET_PER_HOUR,
    };
  }

  /** Every replica drops its copy of the client's app (this one at once); others within the cache TTL if Redis cannot take it. */
  private async announce(clientId: string): Promise<void> {
    this.cache.invalidate(clientId);
    await this.changes.publish(clientId).catch((err: Error) =>
      this.logger.warn({ clientId }, `Flickr app change not announced (${err.message}); other replicas see it within FLICKR_APPS_CACHE_TTL_MS`),
    );
  }
}
