import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { startTestApp, type TestApp } from '../support/test-app';
import { sharedKmsEnv } from '../support/uploads';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * The SSRF guard at registration, with the app in production mode (NODE_ENV=production: the only switch; it
 * cannot be turned off there). Its own file: NODE_ENV is process-wide for the app under test.
 */
describe('webhook endpoint URLs in production mode', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    t = await startTestApp({
      env: {
        ...AUTH_TEST_ENV,
        ...sharedKmsEnv(),
        NODE_ENV: 'production',
        KMS_LOCAL_ALLOW_IN_PRODUCTION_UNSAFE: 'true',
        FLICKR_CONSUMER_KEY: 'production-test-key',
        FLICKR_CONSUMER_SECRET: 'production-test-secret',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const register = async (apiKey: string, url: string) => {
    const res = await fetch(`${t.url}/v1/webhook-endpoints`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ url }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('refuses loopback, private, link-local, CGNAT, unspecified, multicast and IPv4-mapped addresses, names resolving to them, plain http and credentials', async () => {
    const key = await createApiKey(t.app);
    const port = new URL(receiver.url).port;
    const refused: Array<[string, RegExp]> = [
      [receiver.url, /must be https in production/],
      [`https://127.0.0.1:${port}/hooks`, /loopback/],
      [`https://localhost:${port}/hooks`, /loopback/],
      ['https://10.1.2.3/hooks', /private/],
      ['https://172.16.0.1/hooks', /private/],
      ['https://192.168.1.1/hooks', /private/],
      ['https://169.254.169.254/latest/meta-data', /linkLocal/],
      ['https://100.64.0.1/hooks', /carrierGradeNat/],
      ['https://0.0.0.0/hooks', /unspecified/],
      ['https://224.0.0.1/hooks', /multicast/],
      ['https://[::1]/hooks', /loopback/],
      ['https://[fc00::1]/hooks', /uniqueLocal/],
      ['https://[fe80::1]/hooks', /linkLocal/],
      ['https://[::ffff:127.0.0.1]/hooks', /loopback/],
      ['https://[::ffff:10.0.0.1]/hooks', /private/],
      ['https://user:secret@203.0.114.1/hooks', /credentials/],
    ];
    for (const [url, reason] of refused) {
      const res = await register(key.api_key, url);
      expect({ url, status: res.status, type: res.body.type }).toEqual({ url, status: 400, type: 'urn:flickr-gateway:problem:webhook-url-not-allowed' });
      expect({ url, detail: res.body.detail }).toEqual({ url, detail: expect.stringMatching(reason) });
    }
    // The same request with a public address is accepted (so the refusals above are the guard, not something else).
    const ok = await register(key.api_key, 'https://8.8.8.8/hooks');
    expect(ok.status).toBe(201);
    expect(ok.body.url).toBe('https://8.8.8.8/hooks');
    // Nothing was ever sent to the local receiver.
    expect(receiver.connections).toBe(0);
  });
});
