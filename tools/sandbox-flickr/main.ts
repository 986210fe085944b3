/**
 * The sandbox Flickr of local development: the test suite's fake Flickr (fake-flickr.server.ts, which checks real
 * OAuth 1.0a signatures) as a process of its own on a loopback port, with a few sandbox users to approve as in a
 * browser. scripts/start.sh runs it when no Flickr credentials are configured and points the gateway at it:
 *
 *   node -r ts-node/register/transpile-only tools/sandbox-flickr/main.ts
 *
 * Environment: SANDBOX_FLICKR_PORT (3010), SANDBOX_FLICKR_CONSUMER_KEY / _SECRET (the one app it accepts; fixed
 * defaults, so a restart keeps the gateway's settings valid). Everything else (users' tokens, uploaded photos)
 * lives in memory: after a restart, connect the sandbox users again. Refuses NODE_ENV=production.
 * It never ships: the production image is built from src/ only.
 */
import { ALICE, FakeFlickr, REAL_FLICKR_ORIGINS } from './fake-flickr.server';

/** The app the gateway uses against the sandbox (scripts/start.sh passes the same values). */
export const SANDBOX_CONSUMER_KEY = 'sandbox-consumer-key';
export const SANDBOX_CONSUMER_SECRET = 'sandbox-consumer-secret';

/** People a newcomer can approve as. */
export const SANDBOX_USERS = [
  ALICE,
  { nsid: '23456789@N01', username: 'bob', fullname: 'Bob Example' },
  { nsid: '34567890@N02', username: 'carol', fullname: 'Carol Example' },
];

/** Requests kept for inspection (the fake records every request; a long-running sandbox must not grow without end). */
const KEEP_REQUESTS = 1000;

function log(message: string): void {
  process.stdout.write(`[sandbox-flickr] ${message}\n`);
}

/** Starts the sandbox; resolves with it once it listens. */
export async function startSandboxFlickr(env: NodeJS.ProcessEnv = process.env): Promise<FakeFlickr> {
  if (env.NODE_ENV === 'production') throw new Error('the sandbox Flickr is for local development; refused with NODE_ENV=production');
  const port = Number(env.SANDBOX_FLICKR_PORT ?? 3010);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SANDBOX_FLICKR_PORT must be a port number, not '${env.SANDBOX_FLICKR_PORT}'`);
  const fake = await FakeFlickr.start({
    port,
    sandbox: true,
    // The gateway signs every call over Flickr's real URLs, whatever FLICKR_*_URL it sends them to; so does the check.
    origins: REAL_FLICKR_ORIGINS,
    consumerKey: env.SANDBOX_FLICKR_CONSUMER_KEY || SANDBOX_CONSUMER_KEY,
    consumerSecret: env.SANDBOX_FLICKR_CONSUMER_SECRET || SANDBOX_CONSUMER_SECRET,
  });
  for (const user of SANDBOX_USERS) fake.addUser(user);
  fake.addPhoto({ owner: ALICE.nsid, title: 'Golden hour over the harbour', description: 'A sandbox photo', tags: 'sunset sea harbour' });
  fake.addPhoto({ owner: ALICE.nsid, title: 'Morning fog', description: 'Another sandbox photo', tags: 'fog morning' });
  return fake;
}

if (require.main === module) {
  startSandboxFlickr().then(
    (fake) => {
      log(`SANDBOX Flickr (not flickr.com) on ${fake.url}: OAuth at ${fake.url}/services/oauth, REST at ${fake.url}/services/rest, upload at ${fake.url}/services/upload`);
      log(`app (consumer key) ${fake.consumerKey}; users to approve as: ${SANDBOX_USERS.map((u) => `${u.username} (${u.nsid})`).join(', ')}`);
      let seen = 0;
      // One line per call, so a developer sees what the gateway sent to "Flickr".
      const timer = setInterval(() => {
        for (const r of fake.requests.slice(seen)) log(`${r.method} ${r.path}${r.params.method ? ` ${r.params.method}` : ''}${r.file ? ` (${r.file.bytes} bytes)` : ''}`);
        seen = fake.requests.length;
        if (seen > KEEP_REQUESTS) {
          fake.requests.splice(0, seen);
          seen = 0;
        }
      }, 250);
      const stop = () => {
        clearInterval(timer);
        void fake.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (error: Error) => {
      process.stderr.write(`[sandbox-flickr] failed to start: ${error.message}\n`);
      process.exit(1);
    },
  );
}
