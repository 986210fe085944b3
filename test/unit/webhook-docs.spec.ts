import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signWebhook, verifyWebhook, webhookStringToSign } from '../../src/webhooks/webhook.signing';

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'webhooks.md'), 'utf8');

/** The body of the first fenced block of `lang` after `heading`. */
function block(heading: string, lang: string): string {
  const from = doc.indexOf(heading);
  if (from < 0) throw new Error(`docs/webhooks.md has no "${heading}"`);
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)\\n```').exec(doc.slice(from));
  if (!m) throw new Error(`no ${lang} block after "${heading}"`);
  return m[1];
}

/** The worked example's fields, as printed. */
function example() {
  const text = block('### Worked example', 'text');
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(.+)$`, 'm').exec(text);
    if (!m) throw new Error(`worked example has no "${name}"`);
    return m[1].trim();
  };
  const lines = text.split('\n');
  const bodyLine = lines[lines.findIndex((l) => l.startsWith('body (')) + 1];
  return {
    secret: field('secret'),
    timestamp: field('timestamp'),
    eventId: field('event id'),
    bodyBytes: Number(/^body \((\d+) bytes\):$/m.exec(text)![1]),
    body: bodyLine,
    bodyHash: field('sha256\\(body\\)'),
    stringToSign: field('string to sign').replace(/\\n/g, '\n'),
    signature: field('signature'),
  };
}

/** docs/webhooks.md cannot rot: its worked example is recomputed and its two verifier snippets are run. */
describe('docs/webhooks.md', () => {
  const ex = example();

  it('the worked example recomputes from the spec as written (SHA-256, four lines, HMAC keyed by the whole secret)', () => {
    expect(ex.secret).toBe(`whsec_${Buffer.from([...Array(32).keys()]).toString('base64url')}`);
    expect(Buffer.byteLength(ex.body, 'utf8')).toBe(ex.bodyBytes);
    expect(createHash('sha256').update(ex.body, 'utf8').digest('hex')).toBe(ex.bodyHash);
    expect(['FGW1-WEBHOOK-HMAC-SHA256', ex.timestamp, ex.eventId, ex.bodyHash].join('\n')).toBe(ex.stringToSign);
    expect(`v1=${createHmac('sha256', Buffer.from(ex.secret, 'utf8')).update(ex.stringToSign).digest('hex')}`).toBe(ex.signature);
    // The body is a payload as the gateway sends it: the event id inside matches.
    expect(JSON.parse(ex.body)).toMatchObject({ id: ex.eventId, version: 1 });
  });

  it("the gateway's signer produces exactly the documented string and signature", () => {
    expect(webhookStringToSign(ex.timestamp, ex.eventId, Buffer.from(ex.body))).toBe(ex.stringToSign);
    expect(signWebhook(ex.secret, ex.timestamp, ex.eventId, Buffer.from(ex.body))).toBe(ex.signature);
    const headers = { timestamp: ex.timestamp, eventId: ex.eventId, signature: ex.signature };
    expect(verifyWebhook(ex.secret, headers, ex.body, Number(ex.timestamp))).toBe(true);
    expect(verifyWebhook(ex.secret, headers, ex.body, Number(ex.timestamp) + 301)).toBe(false);
  });

  describe('the verifier snippets, run as printed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'webhook-docs-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const now = Math.floor(Date.now() / 1000);
    // A fresh sample signed by the gateway's signer (current time), and the documented one at its own time.
    const freshBody = JSON.stringify({ id: 'evt_ffffffffffffffffffffffffffffffff', type: 'connection.erased', version: 1, user_id: 'ü-1', data: { existed: true } });
    const fresh = { 'x-fgw-webhook-timestamp': String(now), 'x-fgw-event-id': 'evt_ffffffffffffffffffffffffffffffff', 'x-fgw-webhook-signature': signWebhook(ex.secret, String(now), 'evt_ffffffffffffffffffffffffffffffff', freshBody) };
    const documented = { 'x-fgw-webhook-timestamp': ex.timestamp, 'x-fgw-event-id': ex.eventId, 'x-fgw-webhook-signature': ex.signature };
    const cases = [
      { name: 'documented', headers: documented, body: ex.body, now: Number(ex.timestamp), expect: true },
      { name: 'fresh', headers: fresh, body: freshBody, now: null, expect: true },
      { name: 'tampered body', headers: documented, body: ex.body.replace('user-42', 'user-43'), now: Number(ex.timestamp), expect: false },
      { name: 'other event id', headers: { ...documented, 'x-fgw-event-id': 'evt_00000000000000000000000000000000' }, body: ex.body, now: Number(ex.timestamp), expect: false },
      { name: 'stale (301 s)', headers: documented, body: ex.body, now: Number(ex.timestamp) + 301, expect: false },
      { name: 'early (301 s)', headers: documented, body: ex.body, now: Number(ex.timestamp) - 301, expect: false },
      { name: 'edge (300 s)', headers: documented, body: ex.body, now: Number(ex.timestamp) + 300, expect: true },
      { name: 'wrong secret', headers: documented, body: ex.body, now: Number(ex.timestamp), secret: `${ex.secret}x`, expect: false },
      { name: 'no signature', headers: { ...documented, 'x-fgw-webhook-signature': '' }, body: ex.body, now: Number(ex.timestamp), expect: false },
    ];
    const casesFile = join(dir, 'cases.json');
    writeFileSync(casesFile, JSON.stringify(cases.map((c) => ({ ...c, secret: c.secret ?? ex.secret, body: Buffer.from(c.body, 'utf8').toString('base64') }))));

    it('the Python 3 snippet (standard library only) accepts the good samples and refuses the bad ones', () => {
      const snippet = block('### Python 3', 'python');
      expect(snippet).not.toMatch(/^\s*(import|from)\s+(?!hashlib\b|hmac\b|time\b)/m);
      const script = join(dir, 'verify.py');
      writeFileSync(
        script,
        `${snippet}\n\nimport base64, json, sys\nout = {}\nfor c in json.load(open(sys.argv[1])):\n    out[c["name"]] = verify_webhook(c["secret"], c["headers"], base64.b64decode(c["body"]), c["now"])\nprint(json.dumps(out))\n`,
      );
      const results = JSON.parse(execFileSync('python3', ['-I', script, casesFile], { encoding: 'utf8' })) as Record<string, boolean>;
      expect(results).toEqual(Object.fromEntries(cases.map((c) => [c.name, c.expect])));
    });

    it('the Node.js snippet accepts the good samples and refuses the bad ones', () => {
      const snippet = block('### Node.js', 'js');
      const script = join(dir, 'verify.cjs');
      writeFileSync(
        script,
        `${snippet}\n\nconst out = {};\nfor (const c of require(process.argv[2])) out[c.name] = verifyWebhook(c.secret, c.headers, Buffer.from(c.body, 'base64'), c.now ?? undefined);\nconsole.log(JSON.stringify(out));\n`,
      );
      const results = JSON.parse(execFileSync(process.execPath, [script, casesFile], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })) as Record<string, boolean>;
      expect(results).toEqual(Object.fromEntries(cases.map((c) => [c.name, c.expect])));
    });
  });
});
