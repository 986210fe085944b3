import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sign, signatureMatches, splitUrl, stringToSign } from '../../src/auth/hmac.signing';

/** The worked example in docs/authentication.md must be what the server computes. */
describe('docs/authentication.md worked example', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'authentication.md'), 'utf8');
  const block = /```json worked-example\n([\s\S]*?)\n```/.exec(doc);
  const ex = JSON.parse(block?.[1] ?? 'null') as Record<string, string>;
  const { path, query } = splitUrl(ex.url);
  const parts = { method: ex.method, path, query, timestamp: ex.timestamp, nonce: ex.nonce, body: Buffer.from(ex.body) };

  it('has the block', () => expect(ex).not.toBeNull());
  it('body hash', () => expect(createHash('sha256').update(ex.body).digest('hex')).toBe(ex.body_sha256));
  it('string to sign', () => expect(stringToSign(parts)).toBe(ex.string_to_sign));
  it('signature', () => {
    expect(sign(ex.signing_secret, parts)).toBe(ex.signature);
    expect(signatureMatches(ex.signing_secret, parts, ex.signature)).toBe(true);
    expect(signatureMatches(ex.signing_secret, { ...parts, query: 'a=1' }, ex.signature)).toBe(false);
  });
});
