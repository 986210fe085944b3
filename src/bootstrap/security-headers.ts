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
