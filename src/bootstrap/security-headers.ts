import helmet, { type HelmetOptions } from 'helmet';

/**
 * The gateway's security headers. Swagger UI (/docs) is served from our own origin and needs inline
 * styles and data: images; nothing else is ever rendered by a browser.
 */
export const SECURITY_HEADER_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: true,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
    },
  },
  hsts: { maxAge: 31536000, includeSubDomains: true },
  frameguard: { action: 'deny' },
};

/**
 * The headers of the JSON API's responses: those the OWASP REST Security Cheat Sheet names for an API
 * (a CSP that forbids everything and any framing, HSTS, nosniff, X-Frame-Options, no referrer) plus
 * Cross-Origin-Resource-Policy. helmet's document-only headers (COOP, Origin-Agent-Cluster,
 * X-DNS-Prefetch-Control, X-Download-Options, X-Permitted-Cross-Domain-Policies, X-XSS-Protection)
 * protect HTML pages, which these responses are not; each header is work on every response (six fewer
 * took about a third off the pipeline's cost over bare Fastify on /health/live, issue 15). The pages
 * a browser renders (Swagger UI, Bull Board, the connect page, which then sets its own CSP) keep the full set.
 */
export const API_SECURITY_HEADER_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  hsts: { maxAge: 31536000, includeSubDomains: true },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  dnsPrefetchControl: false,
  ieNoOpen: false,
  permittedCrossDomainPolicies: false,
  xssFilter: false,
};

/** URL prefixes of the pages a browser renders (with their scripts and styles): they get helmet's full set. */
export const BROWSER_PAGE_PREFIXES = ['/docs', '/admin/queues', '/connect/'] as const;

/**
 * Runs helmet once, at start-up, against a recording response and returns the headers it set.
 *
 * Why not @fastify/helmet: it runs helmet's middleware chain on every response, which re-parses the
 * CSP directives and dashifies header names per request (≈5 % of CPU on /health/live in the profile
 * of issue 15). Our policy has no per-request part (no nonces), so the result is the same for every
 * response; computing it once keeps helmet as the source of truth for which headers and values.
 */
export function precomputeSecurityHeaders(options: HelmetOptions = SECURITY_HEADER_OPTIONS): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  let failure: unknown;
  let finished = false;
  helmet(options)({} as never, recorder as never, (err?: unknown) => {
    failure = err;
    finished = true;
  });
  // helmet's middlewares are synchronous; if that ever changes, fail at start-up rather than send fewer headers.
  if (!finished) throw new Error('helmet did not complete synchronously; security headers cannot be precomputed');
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  return Object.freeze(headers);
}
