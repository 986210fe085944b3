import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * OAuth 1.0a HMAC-SHA1 signature checking as an OAuth *server* does it
 * (RFC 5849 §3.4), for the fake Flickr. Written by hand on purpose: it is the
 * independent reference the gateway's client library is checked against, so it
 * must not share code with any client; it is itself checked against the RFC's
 * worked examples (test/unit/fake-flickr-signature.spec.ts).
 */

/** RFC 3986 percent-encoding of everything but unreserved characters (RFC 5849 §3.6). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Decodes application/x-www-form-urlencoded pairs (`+` is a space), keeping repeats and order. */
export function parseForm(text: string): Array<[string, string]> {
  if (!text) return [];
  return text
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const raw = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      return raw.map((s) => decodeURIComponent(s.replace(/\+/g, ' '))) as [string, string];
    });
}

/** Parameters of an `Authorization: OAuth ...` header, without `realm`. */
export function parseAuthorizationHeader(header: string | undefined): Array<[string, string]> {
  if (!header || !/^OAuth\s/i.test(header)) return [];
  const params: Array<[string, string]> = [];
  for (const m of header.slice(6).matchAll(/([A-Za-z0-9_.~-]+)="([^"]*)"/g)) {
    if (m[1] !== 'realm') params.push([decodeURIComponent(m[1]), decodeURIComponent(m[2])]);
  }
  return params;
}

/** Base string URI (§3.4.1.2): lower-case scheme and host, default port dropped, no query or fragment. */
export function baseStringUri(url: string): string {
  const u = new URL(url);
  const defaultPort = (u.protocol === 'http:' && u.port === '80') || (u.protocol === 'https:' && u.port === '443');
  const port = u.port && !defaultPort ? `:${u.port}` : '';
  return `${u.protocol.toLowerCase()}//${u.hostname.toLowerCase()}${port}${u.pathname || '/'}`;
}

/** Normalised parameters (§3.4.1.3.2): encoded, sorted by name then value, `oauth_signature` excluded. */
export function normalizeParameters(params: Array<[string, string]>): string {
  return params
    .filter(([name]) => name !== 'oauth_signature')
    .map(([n, v]) => [percentEncode(n), percentEncode(v)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
}

/** Signature base string (§3.4.1.1). */
export function signatureBaseString(method: string, url: string, params: Array<[string, string]>): string {
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalizeParameters(params))].join('&');
}

/** HMAC-SHA1 signature (§3.4.2), base64. */
export function hmacSha1Signature(baseString: string, consumerSecret: string, tokenSecret = ''): string {
  return createHmac('sha1', `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`).update(baseString).digest('base64');
}

/** Constant-time comparison of a presented signature with the expected one. */
export function signatureMatches(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
