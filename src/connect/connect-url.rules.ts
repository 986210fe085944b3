/**
 * The URL rules of hosted connect pages, in one place: what an admin may put on a client's return-URL
 * allowlist and as its logo, and what a session's return_url must be. Pure functions: each answers the
 * normalised value or the reason it is refused (the caller turns reasons into its problem type).
 */

/** Hosts plain http is accepted for outside production (a developer's machine). */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The most origins one client may allow. */
export const MAX_RETURN_URL_ORIGINS = 20;

export type RuleResult = { ok: true; value: string } | { ok: false; reason: string };

const refuse = (reason: string): RuleResult => ({ ok: false, reason });

function parse(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

/** https, or plain http for localhost/127.0.0.1 outside production. */
function schemeAllowed(url: URL, production: boolean): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname) && !production);
}

/**
 * One allowlist entry: an origin only (`scheme://host[:port]`, a trailing `/` tolerated), answered in
 * its normalised form (lower-case host, default port dropped) so it compares equal to `URL.origin`.
 */
export function allowlistOrigin(raw: string, production: boolean): RuleResult {
  const url = parse(raw);
  if (!url || !/^https?:\/\//i.test(raw)) return refuse('must be an origin such as https://app.example.com');
  if (!schemeAllowed(url, production)) return refuse('must be https (http only for localhost/127.0.0.1 outside production)');
  if (url.username || url.password) return refuse('must not contain credentials');
  if (url.pathname !== '/' || url.search || url.hash || /[?#]/.test(raw)) return refuse('must be an origin only (scheme://host[:port]), without a path, query or fragment');
  return { ok: true, value: url.origin };
}

/** A logo URL: https (http only for localhost outside production), no credentials. */
export function logoUrl(raw: string, production: boolean): RuleResult {
  const url = parse(raw);
  if (!url) return refuse('must be an https URL');
  if (!schemeAllowed(url, production)) return refuse('must be https (http only for localhost/127.0.0.1 outside production)');
  if (url.username || url.password) return refuse('must not contain credentials');
  return { ok: true, value: url.href };
}

/**
 * A session's return_url: a URL whose origin is on the client's allowlist, https (or http on localhost
 * outside production), without credentials. Answers its normalised href.
 */
export function returnUrl(raw: string, allowedOrigins: readonly string[], production: boolean): RuleResult {
  const url = parse(raw);
  if (!url) return refuse('not a URL');
  if (!schemeAllowed(url, production)) return refuse('must be https (http only for localhost outside production)');
  if (url.username || url.password) return refuse('must not contain credentials');
  if (!allowedOrigins.includes(url.origin)) return refuse(`origin ${url.origin} is not on this client's allowlist (admin API: connect-settings return_url_origins)`);
  return { ok: true, value: url.href };
}

/** C0/C1 controls and the bidirectional overrides/isolates (which can make a name read as something else). */
const UNSAFE_TEXT = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/** A display name: plain text, 1–80 characters after trimming, no control or bidi-override characters. */
export function displayName(raw: string): RuleResult {
  const value = raw.trim();
  const length = [...value].length;
  if (length < 1 || length > 80) return refuse('must be 1-80 characters');
  if (UNSAFE_TEXT.test(value)) return refuse('must be plain text without control or bidirectional-override characters');
  return { ok: true, value };
}
