#!/usr/bin/env node
/**
 * A tiny webhook receiver for local development (docs/quickstart-client.md): prints each delivery the gateway
 * sends, with whether its signature verified, and answers 200. No dependencies.
 *
 *   node tools/webhook-inbox.mjs [--port 4000] [--secret-file .local/webhook-secret | --secret whsec_…]
 *
 * The secret (the `secret` of POST /v1/webhook-endpoints, shown once) is read from the file at every delivery, so
 * the inbox can be started before the endpoint exists. Listens on 127.0.0.1 only.
 * Verification as docs/webhooks.md describes it: the string to sign is four lines joined by "\n"
 * (FGW1-WEBHOOK-HMAC-SHA256, the x-fgw-webhook-timestamp header, the x-fgw-event-id header, the hex SHA-256 of the
 * raw body); x-fgw-webhook-signature is "v1=" + hex HMAC-SHA256 of it keyed by the secret; the timestamp must be
 * within 300 s of this machine's clock.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const port = Number(option('port', process.env.WEBHOOK_INBOX_PORT ?? '4000'));
const secretFile = option('secret-file', undefined);
const fixedSecret = option('secret', process.env.WEBHOOK_SECRET);
const TOLERANCE_S = 300;

function secret() {
  if (fixedSecret) return fixedSecret;
  if (!secretFile) return undefined;
  try {
    return readFileSync(secretFile, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** 'verified', or why not. */
function verify(headers, body) {
  const key = secret();
  if (!key) return 'not checked (no secret given)';
  const timestamp = String(headers['x-fgw-webhook-timestamp'] ?? '');
  const eventId = String(headers['x-fgw-event-id'] ?? '');
  const given = String(headers['x-fgw-webhook-signature'] ?? '');
  if (!/^[0-9]{1,12}$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_S) return 'INVALID (timestamp missing or too far from now)';
  const toSign = ['FGW1-WEBHOOK-HMAC-SHA256', timestamp, eventId, createHash('sha256').update(body).digest('hex')].join('\n');
  const expected = Buffer.from(`v1=${createHmac('sha256', key).update(toSign).digest('hex')}`);
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? 'verified' : 'INVALID (signature does not match)';
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const type = req.headers['x-fgw-event-type'] ?? '(no event type)';
    const id = req.headers['x-fgw-event-id'] ?? '(no event id)';
    let pretty = body.toString('utf8');
    try {
      pretty = JSON.stringify(JSON.parse(pretty));
    } catch {
      // not JSON: printed as received
    }
    process.stdout.write(`[webhook-inbox] ${req.method} ${req.url} ${type} ${id} signature: ${verify(req.headers, body)}\n[webhook-inbox]   ${pretty}\n`);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  });
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`[webhook-inbox] listening on http://127.0.0.1:${server.address().port}/ (secret: ${fixedSecret ? '--secret' : secretFile ? secretFile : 'none, signatures not checked'})\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
