import type { OpenAPIObject } from '@nestjs/swagger';
import { HMAC_HEADERS } from '../auth/hmac.signing';

type Operation = {
  parameters?: Array<{ name: string; in: string; schema?: Record<string, unknown> }>;
  requestBody?: unknown;
  responses: Record<string, { description?: string; content?: Record<string, { schema: unknown }> }>;
  security?: Array<Record<string, string[]>>;
};

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

/** RFC 9457 problem details as this gateway renders them (docs/errors.md); extensions vary by type. */
const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', description: 'urn:flickr-gateway:problem:<slug>; the slugs are listed in docs/errors.md' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string', description: 'also in the X-Request-Id response header' },
  },
  additionalProperties: true,
};

/** The four headers of an HMAC-signed request (docs/authentication.md#hmac-request-signing). */
const HMAC_SCHEMES: Record<string, { name: string; description: string }> = {
  'hmac-key-id': { name: HMAC_HEADERS.keyId, description: 'the key id (the 12 characters after fgw_)' },
  'hmac-timestamp': { name: HMAC_HEADERS.timestamp, description: 'Unix time in seconds; within AUTH_HMAC_MAX_SKEW_SECONDS of ours' },
  'hmac-nonce': { name: HMAC_HEADERS.nonce, description: '16-128 of A-Z a-z 0-9 _ -, never reused' },
  'hmac-signature': { name: HMAC_HEADERS.signature, description: 'HMAC-SHA256 of the string to sign, lowercase hex; see docs/authentication.md' },
};

const ERROR_DESCRIPTIONS: Record<string, string> = {
  '400': 'bad request: validation-failed, malformed-request, malformed-url or a route-specific problem',
  '401': 'authentication-failed (one generic message)',
  '403': 'forbidden: wrong role, or an address outside the key allowlist',
  '404': 'not-found (also for another client\'s resources)',
  '408': 'the request or its body arrived too slowly',
  '413': 'payload-too-large',
  '415': 'unsupported-media-type',
  '429': 'rate-limited (see Retry-After)',
  '500': 'internal-error',
  '503': 'a dependency is unavailable or the process is draining (see Retry-After)',
};

/**
 * Completes the document Nest's decorators produce, so that a client (or a
 * fuzzer) can rely on it: every error status an operation can answer is
 * declared with the problem+json schema, the HMAC scheme is declared as its
 * four headers together, path ids carry their pattern, and 2xx answers
 * without a declared body get one. Done once here instead of on each route,
 * so no route can forget it.
 */
export function completeOpenApi(document: OpenAPIObject): OpenAPIObject {
  const components = (document.components ??= {});
  components.schemas = { ...(components.schemas ?? {}), Problem: PROBLEM_SCHEMA } as typeof components.schemas;
  const schemes = (components.securitySchemes ??= {}) as Record<string, unknown>;
  for (const [id, header] of Object.entries(HMAC_SCHEMES)) schemes[id] = { type: 'apiKey', in: 'header', name: header.name, description: header.description };

  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, value] of Object.entries(item as Record<string, unknown>)) {
      if (!['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue;
      const op = value as Operation;
      const authenticated = (op.security ?? []).length > 0;
      if (authenticated) {
        // Either an API key, or all four signing headers together.
        op.security = [{ 'api-key': [] }, Object.fromEntries(Object.keys(HMAC_SCHEMES).map((id) => [id, []]))];
      }
      for (const param of op.parameters ?? []) {
        if (param.in === 'path' && param.name === 'user_id') param.schema = { ...param.schema, type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' };
      }
      const statuses = ['400', '408', '429', '500', '503'];
      if (authenticated) statuses.push('401', '403');
      if (path.includes('{')) statuses.push('404');
      if (op.requestBody || method === 'post' || method === 'put' || method === 'patch') statuses.push('413', '415');
      for (const status of statuses) op.responses[status] ??= { description: ERROR_DESCRIPTIONS[status] };
      for (const [status, response] of Object.entries(op.responses)) {
        if (/^[45]/.test(status) && !response.content) {
          response.content = { 'application/problem+json': { schema: PROBLEM_REF } };
        } else if (/^2/.test(status) && status !== '204' && !response.content) {
          response.content = path === '/metrics'
            ? { 'text/plain': { schema: { type: 'string' } } }
            : { 'application/json': { schema: { type: 'object', additionalProperties: true } } };
        }
      }
    }
  }
  return document;
}
