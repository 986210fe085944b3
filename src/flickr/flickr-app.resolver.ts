import { Injectable } from '@nestjs/common';
import { FlickrAppsService, GATEWAY_APP_ID } from '../flickr-apps/flickr-apps.service';
import { FlickrClient, type FlickrConsumer, type FlickrUserToken } from './flickr.client';
import { FlickrConfig } from './flickr.config';

const HOUR_MS = 3_600_000;

/**
 * The Flickr app a client's exchanges are signed with and counted against: its own (src/flickr-apps)
 * or the gateway's. `id` keys the upstream budget and breaker and is what a connection remembers;
 * `budgetPerWindow` sizes the app's budget (undefined: the gateway's FLICKR_BUDGET_LIMIT).
 */
export interface FlickrApp {
  id: string;
  budgetPerWindow?: number;
  consumer: FlickrConsumer;
}

/** Resolves a client's Flickr app (cached per replica by FlickrAppsService). */
@Injectable()
export class FlickrAppResolver {
  constructor(
    private readonly apps: FlickrAppsService,
    private readonly client: FlickrClient,
    private readonly config: FlickrConfig,
  ) {}

  /** The gateway's own app (FLICKR_CONSUMER_KEY/SECRET, budget FLICKR_BUDGET_LIMIT). */
  get gateway(): FlickrApp {
    return { id: GATEWAY_APP_ID, consumer: this.client.gatewayConsumer };
  }

  /** The app of `clientId`: its own when the admin gave it one, else the gateway's. */
  async forClient(clientId: string): Promise<FlickrApp> {
    const own = await this.apps.resolve(clientId);
    if (!own) return this.gateway;
    // budget_per_hour is the admin's unit; the budget counts per FLICKR_BUDGET_WINDOW_MS.
    const budgetPerWindow = Math.max(1, Math.floor((own.budgetPerHour * this.config.FLICKR_BUDGET_WINDOW_MS) / HOUR_MS));
    return { id: own.appId, budgetPerWindow, consumer: { consumerKey: own.consumerKey, consumerSecret: own.consumerSecret } };
  }

  /** A user's stored token bound to the app it must be signed with. */
  static bind(token: { token: string; secret: string }, app: FlickrApp): FlickrUserToken {
    return { oauthToken: token.token, oauthTokenSecret: token.secret, consumer: app.consumer };
  }
}
