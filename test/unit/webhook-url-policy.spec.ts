import type { LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import type { AppConfig } from '../../src/config/app.config';
import { addressRefusal, type HostResolver, WebhookUrlPolicy } from '../../src/webhooks/webhook-url.policy';
import { pinnedLookup, WebhookSender } from '../../src/webhooks/webhook.sender';
import { WebhookReceiver } from '../support/webhook-receiver';

const app = (NODE_ENV: AppConfig['NODE_ENV']) => ({ NODE_ENV }) as AppConfig;
const answers = (...lists: string[][]): HostResolver => {
  let i = 0;
  return async () => (lists[Math.min(i++, lists.length - 1)] ?? []).map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('addressRefusal (the SSRF guard, through ipaddr.js)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.10', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:192.168.1.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['64:ff9b::7f00:1', 'rfc6052'],
  ])('refuses %s (%s)', (address, range) => {
    expect(addressRefusal(address)).toBe(`${address} is a ${range} address`);
  });

  it.each(['8.8.8.8', '93.184.216.34', '100.128.0.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(addressRefusal(address)).toBeNull();
  });
});

describe('WebhookUrlPolicy', () => {
  it('outside production allows plain http and loopback (tests and local receivers) but still refuses credentials and other schemes', async () => {
    const policy = new WebhookUrlPolicy(app('test'), answers(['127.0.0.1']));
    expect(policy.enforcing).toBe(false);
    expect(await policy.check('http://127.0.0.1:8080/hooks')).toBe('http://127.0.0.1:8080/hooks');
    expect(await policy.check('http://localhost/hooks')).toBe('http://localhost/hooks');
    await expect(policy.check('http://u:p@localhost/hooks')).rejects.toMatchObject({ slug: 'webhook-url-not-allowed' });
    await expect(policy.check('file:///etc/passwd')).rejects.toMatchObject({ slug: 'webhook-url-not-allowed' });
  });

  it('in production refuses http, and a name when any one of its addresses is not public', async () => {
    const policy = new WebhookUrlPolicy(app('production'), answers(['8.8.8.8', '10.0.0.5']));
    await expect(policy.check('http://hooks.example.com/')).rejects.toMatchObject({ detail: expect.stringMatching(/https in production/) });
    await expect(policy.check('https://hooks.example.com/')).rejects.toMatchObject({ detail: expect.stringMatching(/10\.0\.0\.5 is a private address/) });
    expect(await new WebhookUrlPolicy(app('production'), answers(['8.8.8.8'])).check('https://hooks.example.com/x')).toBe('https://hooks.example.com/x');
  });

  it('in production refuses a host that does not resolve', async () => {
    const policy = new WebhookUrlPolicy(app('production'), async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    });
    await expect(policy.check('https://nowhere.invalid/')).rejects.toMatchObject({ detail: expect.stringMatching(/does not resolve \(ENOTFOUND\)/) });
  });

  it('in production refuses `localhost` through the real system resolver', async () => {
    await expect(new WebhookUrlPolicy(app('production')).check('https://localhost/hooks')).rejects.toMatchObject({ detail: expect.stringMatching(/loopback/) });
  });
});

describe('the delivery-time re-check (WebhookSender)', () => {
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterEach(() => receiver.close());
  const request = (url: string) => ({ url, body: '{"id":"evt_x"}', headers: { 'content-type': 'application/json' } });

  it('in production a host that resolves to 127.0.0.1 at delivery time is refused without connecting, even though it passed at registration (DNS rebinding)', async () => {
    const port = new URL(receiver.url).port;
    // Registration sees a public address; by the first delivery the name points at the loopback receiver.
    const policy = new WebhookUrlPolicy(app('production'), answers(['8.8.8.8'], ['127.0.0.1']));
    expect(await policy.check(`https://rebind.example:${port}/hooks`)).toBe(`https://rebind.example:${port}/hooks`);
    const result = await new WebhookSender(policy).send(request(`https://rebind.example:${port}/hooks`), 2000);
    expect(result).toEqual({ outcome: 'refused', statusCode: null, error: expect.stringMatching(/^webhook-url-not-allowed: .*127\.0\.0\.1 is a loopback address/) });
    expect(receiver.connections).toBe(0);
  });

  it('in production `localhost` (system resolver) is refused at delivery time without connecting', async () => {
    const port = new URL(receiver.url).port;
    const result = await new WebhookSender(new WebhookUrlPolicy(app('production'))).send(request(`https://localhost:${port}/hooks`), 2000);
    expect(result.outcome).toBe('refused');
    expect(receiver.connections).toBe(0);
  });

  it('outside production the same receiver is reached (so the refusals above are the guard)', async () => {
    const port = new URL(receiver.url).port;
    const result = await new WebhookSender(new WebhookUrlPolicy(app('test'))).send(request(`http://localhost:${port}/hooks`), 2000);
    expect(result).toEqual({ outcome: 'succeeded', statusCode: 200, error: null });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].body.toString()).toBe('{"id":"evt_x"}');
  });

  it('does not follow redirects, and reports a non-2xx answer, a hanging receiver and a refused connection as failures', async () => {
    const sender = new WebhookSender(new WebhookUrlPolicy(app('test')));
    receiver.answer([302, 'hang']);
    expect(await sender.send(request(receiver.url), 2000)).toEqual({ outcome: 'http_error', statusCode: 302, error: 'HTTP 302' });
    expect(await sender.send(request(receiver.url), 300)).toEqual({ outcome: 'timeout', statusCode: null, error: 'no answer within 300 ms' });
    expect(receiver.received).toHaveLength(2);
    const closed = await sender.send(request('http://127.0.0.1:1/hooks'), 2000);
    expect(closed).toMatchObject({ outcome: 'network_error', statusCode: null, error: expect.stringMatching(/^ECONNREFUSED/) });
  });

  it('the attempt connects to the checked addresses only: the pinned lookup replaces DNS (a name that does not resolve reaches the pinned address)', async () => {
    const port = new URL(receiver.url).port;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`http://pinned.invalid:${port}/hooks`, { method: 'POST', agent: false, lookup: pinnedLookup([{ address: '127.0.0.1', family: 4 }]) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(200);
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].headers.host).toBe(`pinned.invalid:${port}`);
  });
});
