/**
 * What never reaches a log. Header names are lower-case as Node delivers them;
 * the wildcard paths catch the same fields one level deep in any logged object.
 */
const SECRET_FIELDS = [
  'apiKey',
  'api_key',
  'secret',
  'secretKey',
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'tokenSecret',
  'oauth_token',
  'oauth_token_secret',
  'oauth_verifier',
  'oauth_signature',
  'signature',
  'signingSecret',
  // A Flickr app's secret (admin PUT /admin/clients/:client_id/flickr-app body; FlickrConsumer).
  'consumer_secret',
  'consumerSecret',
  'authorization',
];

const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'x-fgw-signature',
  'x-fgw-key-id',
  'x-vault-token',
];

export const REDACT_PATHS: string[] = [
  ...SECRET_HEADERS.map((h) => `req.headers["${h}"]`),
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS.map((f) => `${f}`),
  ...SECRET_FIELDS.map((f) => `*.${f}`),
];

export const REDACTED = '[REDACTED]';

const SENSITIVE_QUERY = new Set(SECRET_FIELDS.map((f) => f.toLowerCase()).concat(['pin', 'key']));

/** Masks the values of sensitive query parameters in a logged URL. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = safeDecode((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
      return SENSITIVE_QUERY.has(name.toLowerCase()) && eq >= 0 ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/** decodeURIComponent that never throws: a malformed escape (`%zz`) is kept as sent. Logging must not fail on input. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
