import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions, pinoHttpOptions, prettyStream } from './logging.module';
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

describe('pretty logs (LOG_FORMAT=pretty)', () => {
  function capturePretty() {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino(loggerOptions('info'), prettyStream(sink));
    return { logger, text: () => lines.join('') };
  }

  it('writes one human-readable line per entry, not JSON, with the request line summarised', () => {
    const { logger, text } = capturePretty();
    logger.info({ context: 'Bootstrap' }, 'api listening on http://localhost:3000');
    logger.warn({ requestId: 'req-1', req: { method: 'GET', url: '/v1/users/u1', headers: {} }, res: { statusCode: 404 }, responseTime: 3 }, 'request completed');
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[Bootstrap\] api listening on http:\/\/localhost:3000$/);
    expect(lines[1]).toContain('WARN: request completed GET /v1/users/u1 → 404 in 3 ms (req-1)');
    expect(() => JSON.parse(lines[0])).toThrow();
  });

  it('still redacts secrets: redaction runs before the pretty stream sees the line', () => {
    const { logger, text } = capturePretty();
    logger.info({ apiKey: 'SECRET1', flickr: { oauth_token_secret: 'SECRET2' }, note: 'kept' }, 'with secrets');
    logger.info({ req: { method: 'GET', url: '/v1/oauth/callback?oauth_verifier=SECRET3', headers: { 'x-api-key': 'SECRET4' } }, res: { statusCode: 200 }, responseTime: 1 }, 'request completed');
    const out = text();
    expect(out).not.toMatch(/SECRET\d/);
    expect(out).toContain('kept');
    expect(out).toContain(`oauth_verifier=${REDACTED}`);
  });

  it('JSON (the default) adds no destination: the options are exactly the JSON ones', () => {
    const json = pinoHttpOptions('info', 'json');
    expect(Array.isArray(json)).toBe(false);
    expect(Object.keys(json).sort()).toEqual([...Object.keys(loggerOptions('info')), 'autoLogging'].sort());
    const pretty = pinoHttpOptions('info', 'pretty');
    expect(Array.isArray(pretty)).toBe(true);
  });
});
