import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions } from './logging.module';
import { REDACTED, redactUrl } from './redaction';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const options = loggerOptions('info');
  const logger = pino({ level: 'info', redact: options.redact }, stream);
  return { logger, text: () => lines.join('') };
}

describe('log redaction', () => {
  it('never writes API keys, signatures, authorization headers or OAuth token fields', () => {
    const { logger, text } = capture();
    logger.info({
      req: {
        headers: {
          'x-api-key': 'fgw_abc_SECRET1',
          authorization: 'Bearer SECRET2',
          'x-fgw-signature': 'SECRET3',
          cookie: 'sid=SECRET4',
          'user-agent': 'kept',
        },
      },
      oauth_token: 'SECRET5',
      oauth_token_secret: 'SECRET6',
      flickr: { oauth_token_secret: 'SECRET7', accessToken: 'SECRET8', username: 'kept-too' },
      apiKey: 'SECRET9',
    });
    const out = text();
    expect(out).not.toMatch(/SECRET\d/);
    expect(out).toContain(REDACTED);
    expect(out).toContain('kept');
    expect(out).toContain('kept-too');
  });

  it('masks sensitive query parameters in URLs', () => {
    expect(redactUrl('/v1/oauth/callback?oauth_token=abc&oauth_verifier=def&state=x')).toBe(
      `/v1/oauth/callback?oauth_token=${REDACTED}&oauth_verifier=${REDACTED}&state=x`,
    );
    expect(redactUrl('/health/live')).toBe('/health/live');
  });
});
