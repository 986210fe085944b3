import { FixtureController } from '../fixtures/fixture.controller';
import { startTestApp, type TestApp } from '../support/test-app';

const SECURITY_HEADERS = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': /max-age=\d+/,
  'content-security-policy': /default-src 'none'/,
};

/** Every header helmet can set (the full set of the browser pages). */
const SECURITY_HEADER_NAMES = [
  'content-security-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy', 'origin-agent-cluster', 'referrer-policy',
  'strict-transport-security', 'x-content-type-options', 'x-dns-prefetch-control', 'x-download-options', 'x-frame-options',
  'x-permitted-cross-domain-policies', 'x-xss-protection',
];

function expectSecurityHeaders(res: Response): void {
  for (const [name, expected] of Object.entries(SECURITY_HEADERS)) {
    const value = res.headers.get(name);
    if (expected instanceof RegExp) expect(value).toMatch(expected);
    else expect(value).toBe(expected);
  }
}

async function expectProblem(res: Response, status: number, slug: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as any;
  expect(body).toMatchObject({ type: `urn:flickr-gateway:problem:${slug}`, status });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(typeof body.instance).toBe('string');
  expect(body.requestId).toBe(res.headers.get('x-request-id'));
  expect(JSON.stringify(body)).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack frames
  expectSecurityHeaders(res);
  return body;
}

describe('HTTP pipeline (whole app over HTTP)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ controllers: [FixtureController] });
  });
  afterAll(async () => t?.close());

  it('answers an unknown route with a 404 problem carrying the request id', async () => {
    const res = await fetch(`${t.url}/v1/does-not-exist?x=1`);
    const body = await expectProblem(res, 404, 'not-found');
    expect(body.instance).toBe('/v1/does-not-exist');
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const given = 'client-req-0001';
    const ok = await fetch(`${t.url}/health/live`, { headers: { 'x-request-id': given } });
    expect(ok.headers.get('x-request-id')).toBe(given);
    const bad = await fetch(`${t.url}/health/live`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const none = await fetch(`${t.url}/health/live`);
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(none.headers.get('x-request-id')).not.toBe(bad.headers.get('x-request-id'));
  });

  it('rejects an 11 MB JSON body with a 413 problem', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(11 * 1024 * 1024), count: 1 });
    const res = await fetch(`${t.url}/v1/__fixture/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    await expectProblem(res, 413, 'payload-too-large');
  });

  it('accepts a JSON body just under the limit', async () => {
    const res = await fetch(`${t.url}/v1/__fixture/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'y'.repeat(9 * 1024 * 1024), count: 2 }),
    });
    expect(res.status).toBe(201);
  });

  it('rejects text/plain on a JSON route with a 415 problem', async () => {
    const res = await fetch(`${t.url}/v1/__fixture/echo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"name":"a","count":1}',
    });
    const body = await expectProblem(res, 415, 'unsupported-media-type');
    expect(body.accepted).toEqual(['application/json']);
  });

  it('validates bodies: unknown fields and bad types are a 400 problem listing each error', async () => {
    const res = await fetch(`${t.url}/v1/__fixture/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'a', count: 99, extra: true }),
    });
    const body = await expectProblem(res, 400, 'validation-failed');
    expect(body.errors).toEqual(expect.arrayContaining([expect.stringMatching(/extra/), expect.stringMatching(/count/)]));
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const res = await fetch(`${t.url}/v1/__fixture/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    await expectProblem(res, 400, 'malformed-request');
  });

  it('never leaks an internal error message or stack', async () => {
    const res = await fetch(`${t.url}/v1/__fixture/boom`);
    const body = await expectProblem(res, 500, 'internal-error');
    expect(JSON.stringify(body)).not.toContain('mongodb://');
    expect(JSON.stringify(body)).not.toContain('secret internal detail');
  });

  it('keeps messages the app wrote for clients', async () => {
    const res = await fetch(`${t.url}/v1/__fixture/bad`);
    const body = await expectProblem(res, 400, 'bad-request');
    expect(body.detail).toBe('a client-facing message');
  });

  it('sends security headers on success too, and no CORS headers by default', async () => {
    const res = await fetch(`${t.url}/health/live`, { headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(200);
    expectSecurityHeaders(res);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("API responses carry the API set of security headers (OWASP REST), pages rendered by a browser helmet's full set", async () => {
    const api = await fetch(`${t.url}/health/live`);
    expect(Object.fromEntries([...api.headers].filter(([h]) => SECURITY_HEADER_NAMES.includes(h)))).toEqual({
      'content-security-policy': "default-src 'none';frame-ancestors 'none'",
      'cross-origin-resource-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
    const page = await fetch(`${t.url}/docs`);
    expectSecurityHeaders(page);
    for (const documentOnly of ['cross-origin-opener-policy', 'origin-agent-cluster', 'x-dns-prefetch-control', 'x-permitted-cross-domain-policies']) {
      expect(page.headers.get(documentOnly)).not.toBeNull();
      expect(api.headers.get(documentOnly)).toBeNull();
    }
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  });

  it('labels api_request_latency by route template, never the raw URL', async () => {
    await fetch(`${t.url}/v1/__fixture/items/abc123`);
    await fetch(`${t.url}/v1/__fixture/items/zzz999`);
    await fetch(`${t.url}/v1/nowhere/42`);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(
      /api_request_latency_count\{method="GET",route="\/v1\/__fixture\/items\/:id",status_class="2xx"\} 2/,
    );
    expect(metrics).toMatch(/api_request_latency_count\{method="GET",route="unmatched",status_class="4xx"\}/);
    expect(metrics).not.toContain('abc123');
    expect(metrics).not.toContain('/v1/nowhere/42');
    expect(metrics).toContain('process_cpu_user_seconds_total');
  });

  it('serves Swagger UI and the OpenAPI document with both authentication methods (all four HMAC headers) and problem+json errors', async () => {
    const ui = await fetch(`${t.url}/docs`);
    expect(ui.status).toBe(200);
    const doc = (await (await fetch(`${t.url}/docs-json`)).json()) as any;
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['api-key', 'hmac-key-id', 'hmac-nonce', 'hmac-signature', 'hmac-timestamp']);
    expect(doc.components.securitySchemes['hmac-nonce']).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-fgw-nonce' });
    // An authenticated operation: an API key, or all four signing headers together; errors are problem+json.
    const op = doc.paths['/v1/users/{user_id}'].get;
    expect(op.security).toEqual([{ 'api-key': [] }, { 'hmac-key-id': [], 'hmac-timestamp': [], 'hmac-nonce': [], 'hmac-signature': [] }]);
    for (const status of ['400', '401', '403', '404', '429', '500', '503']) {
      expect(op.responses[status].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    }
  });
});
