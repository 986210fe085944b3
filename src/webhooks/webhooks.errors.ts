import { ProblemException } from '../common/problem/problem.exception';

/**
 * 400: the endpoint URL breaks a rule (docs/webhooks.md, Endpoint URLs): not http(s), plain http in
 * production, credentials in it, or (in production) a host that does not resolve or resolves to a loopback,
 * private, link-local, CGNAT, unspecified, multicast or otherwise non-public address.
 */
export class WebhookUrlNotAllowedProblem extends ProblemException {
  constructor(reason: string) {
    super('webhook-url-not-allowed', 'Webhook URL Not Allowed', 400, `url is not allowed: ${reason}.`);
  }
}

/** 409: the client already has WEBHOOKS_MAX_ENDPOINTS_PER_CLIENT endpoints. */
export class WebhookEndpointLimitProblem extends ProblemException {
  constructor(limit: number) {
    super('webhook-endpoint-limit-reached', 'Webhook Endpoint Limit Reached', 409, `A client may register at most ${limit} webhook endpoints; delete one first.`, { limit });
  }
}
