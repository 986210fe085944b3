import type { LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Injectable } from '@nestjs/common';
import { WebhookUrlPolicy } from './webhook-url.policy';
import type { WebhookAttemptOutcome } from './webhooks.metrics';
import { WebhookUrlNotAllowedProblem } from './webhooks.errors';

/** One signed POST to make. */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookResponseSummary {
  outcome: WebhookAttemptOutcome;
  statusCode: number | null;
  error: string | null;
}

/** A lookup that answers only the addresses the policy checked, so the connection goes nowhere else. */
export function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
    else (callback as (e: null, a: string, f: number) => void)(null, addresses[0].address, addresses[0].family);
  };
}

/**
 * The HTTP adapter of deliveries: one POST, no redirects followed (a 3xx is a failed attempt), one deadline
 * for the whole exchange, no connection reuse. In production the URL is checked again by WebhookUrlPolicy
 * before every attempt and the socket connects only to the addresses that passed.
 */
@Injectable()
export class WebhookSender {
  constructor(private readonly policy: WebhookUrlPolicy) {}

  async send(req: WebhookRequest, timeoutMs: number): Promise<WebhookResponseSummary> {
    let url: URL;
    let addresses: LookupAddress[] | null;
    try {
      url = this.policy.parse(req.url);
      addresses = await this.policy.addressesFor(url);
    } catch (error) {
      if (error instanceof WebhookUrlNotAllowedProblem) return { outcome: 'refused', statusCode: null, error: `webhook-url-not-allowed: ${error.detail}` };
      throw error;
    }
    const body = Buffer.from(req.body, 'utf8');
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<WebhookResponseSummary>((resolve) => {
      let settled = false;
      const finish = (summary: WebhookResponseSummary) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req_.destroy();
        resolve(summary);
      };
      const req_ = request(url, {
        method: 'POST',
        headers: { ...req.headers, 'content-length': String(body.length) },
        agent: false,
        ...(addresses ? { lookup: pinnedLookup(addresses) } : {}),
      });
      const timer = setTimeout(() => finish({ outcome: 'timeout', statusCode: null, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
      req_.on('response', (res) => {
        const status = res.statusCode ?? 0;
        // The status decides; the body is not needed (and not read, so a slow or huge body costs nothing).
        res.destroy();
        if (status >= 200 && status < 300) finish({ outcome: 'succeeded', statusCode: status, error: null });
        else finish({ outcome: 'http_error', statusCode: status, error: `HTTP ${status}` });
      });
      req_.on('error', (err: NodeJS.ErrnoException) => finish({ outcome: 'network_error', statusCode: null, error: err.code ? `${err.code}: ${err.message}` : err.message }));
      req_.end(body);
    });
  }
}
