import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { AppConfig } from '../config/app.config';
import { WebhookUrlNotAllowedProblem } from './webhooks.errors';

/** Resolves a host name to every address (A and AAAA), like the operating system would for a connection. */
export type HostResolver = (host: string) => Promise<LookupAddress[]>;

const systemResolver: HostResolver = (host) => promisify(dnsLookup)(host, { all: true, verbatim: true }) as Promise<LookupAddress[]>;

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Why an address must not receive webhooks, or null when it may. Only ipaddr.js's `unicast` range passes: that
 * refuses loopback, private (RFC 1918), unique-local fc00::/7, link-local (169.254/16, fe80::/10), carrier-grade
 * NAT 100.64/10, unspecified, broadcast, multicast and the reserved and documentation ranges, and an IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d) is judged as the IPv4 address it carries. Translation prefixes that embed an IPv4
 * address (NAT64 64:ff9b::/96, 6to4, Teredo) are refused too rather than unpacked: stricter, and webhook receivers
 * are public servers that do not need them.
 */
export function addressRefusal(address: string): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  // process() turns an IPv4-mapped IPv6 address into the IPv4 address it carries.
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  return range === 'unicast' ? null : `${address} is a ${range} address`;
}

/**
 * The rules of webhook endpoint URLs. Outside production (NODE_ENV development or test) plain http and any
 * address are allowed, so tests and local development can use a receiver on 127.0.0.1; with NODE_ENV=production
 * only https, and the host must resolve to public addresses only — checked at registration AND before every
 * delivery attempt, and the attempt connects to exactly the addresses that were checked (no second resolution),
 * so a DNS answer that changes to a private address after registration (DNS rebinding) is refused, not followed.
 * There is deliberately no other switch: the guard cannot be turned off in production.
 */
@Injectable()
export class WebhookUrlPolicy {
  readonly enforcing: boolean;

  constructor(app: AppConfig, private readonly resolve: HostResolver = systemResolver) {
    this.enforcing = app.NODE_ENV === 'production';
  }

  /** The URL parsed, or WebhookUrlNotAllowedProblem when its shape breaks a rule (no DNS here). */
  parse(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new WebhookUrlNotAllowedProblem('not an absolute URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookUrlNotAllowedProblem('only https (and http outside production) URLs receive webhooks');
    if (this.enforcing && url.protocol !== 'https:') throw new WebhookUrlNotAllowedProblem('must be https in production');
    if (url.username || url.password) throw new WebhookUrlNotAllowedProblem('must not carry credentials (user:password@)');
    if (url.hash) throw new WebhookUrlNotAllowedProblem('must not have a #fragment');
    if (!url.hostname) throw new WebhookUrlNotAllowedProblem('has no host');
    return url;
  }

  /**
   * The addresses a delivery to `url` may connect to: in production every address the host resolves to, all of
   * which must be public (one refused address refuses the URL); outside production null (connect as usual).
   */
  async addressesFor(url: URL): Promise<LookupAddress[] | null> {
    if (!this.enforcing) return null;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: LookupAddress[];
    if (isIP(host)) {
      addresses = [{ address: host, family: isIP(host) }];
    } else {
      try {
        addresses = await this.resolve(host);
      } catch (error) {
        throw new WebhookUrlNotAllowedProblem(`the host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      if (addresses.length === 0) throw new WebhookUrlNotAllowedProblem(`the host ${host} does not resolve`);
    }
    for (const { address } of addresses) {
      const refusal = addressRefusal(address);
      if (refusal) throw new WebhookUrlNotAllowedProblem(`the host resolves to a non-public address (${refusal})`);
    }
    return addresses;
  }

  /** Registration: the shape rules, then (production) the address rules. Returns the normalised URL. */
  async check(raw: string): Promise<string> {
    const url = this.parse(raw);
    await this.addressesFor(url);
    return url.toString();
  }
}
