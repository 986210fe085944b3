#!/usr/bin/env node
/**
 * Decrypt-on-read benchmark of the token vault (docs/security/encryption.md).
 *   node bench/kms-decrypt.js [--seconds=3] [--provider=vault|local]
 * Measures, in the same run, EnvelopeService.decrypt of a two-field token
 * record (HKDF-SHA256 + AES-256-GCM per field):
 *   warm  - data key already in the in-memory cache (the steady state)
 *   cold  - cache disabled, so every read unwraps the data key with the provider
 *           (a transit `decrypt` round trip to OpenBao when --provider=vault)
 *   plain - bare AES-256-GCM of the same two fields with a fixed key (the floor of
 *           what any field encryption costs, no key derivation, no envelope)
 * and prints ops/s and ratios. Uses the real OpenBao from scripts/openbao.sh by default.
 */
require('ts-node').register({ transpileOnly: true, project: require('node:path').join(__dirname, '..', 'tsconfig.json') });
require('reflect-metadata');
const { createCipheriv, createDecipheriv, randomBytes } = require('node:crypto');
const { loadSlice } = require('../src/config/env.validation');
const { KmsConfig } = require('../src/kms/kms.config');
const { EnvelopeService } = require('../src/kms/envelope.service');
const { createKmsProvider } = require('../src/kms/kms.module');

const arg = (name, def) => (process.argv.find((a) => a.startsWith(`--${name}=`)) || `=${def}`).split('=')[1];
const seconds = Number(arg('seconds', 3));
const providerKind = arg('provider', 'vault');

async function measure(name, fn, concurrency = 1) {
  // Warm-up, then run `concurrency` loops for the duration.
  for (let i = 0; i < 20; i++) await fn(i);
  let ops = 0;
  const end = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await fn(ops);
        ops++;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = ops / elapsed;
  console.log(`${name.padEnd(46)} ${rate.toFixed(0).padStart(9)} ops/s  (${ops} ops in ${elapsed.toFixed(2)} s)`);
  return rate;
}

async function main() {
  const env = {
    ...process.env,
    KMS_PROVIDER: providerKind,
    VAULT_ADDR: process.env.VAULT_ADDR || 'http://127.0.0.1:8210',
    VAULT_TOKEN: process.env.VAULT_TOKEN || 'dev-root-token',
  };
  const warmConfig = loadSlice(KmsConfig, env);
  const coldConfig = loadSlice(KmsConfig, { ...env, KMS_DATA_KEY_CACHE_MAX_ENTRIES: '0' });
  const kms = createKmsProvider(warmConfig, { NODE_ENV: 'test' });
  await kms.ping();
  const warm = new EnvelopeService(kms, warmConfig);
  const cold = new EnvelopeService(kms, coldConfig);
  const ctx = { collection: 'tokens', recordId: 'bench-user' };
  const fields = { oauth_token: '72157720000000000-0123456789abcdef', oauth_token_secret: '0123456789abcdef' };
  const envelope = await warm.encrypt('user-tokens', ctx, fields);
  const check = await warm.decrypt(ctx, envelope);
  if (check.oauth_token !== fields.oauth_token) throw new Error('round trip failed');

  const key = randomBytes(32);
  const sealed = Object.entries(fields).map(([, v]) => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([c.update(v, 'utf8'), c.final()]);
    return { iv, ct, tag: c.getAuthTag() };
  });
  const plainDecrypt = async () => {
    for (const s of sealed) {
      const d = createDecipheriv('aes-256-gcm', key, s.iv);
      d.setAuthTag(s.tag);
      Buffer.concat([d.update(s.ct), d.final()]).toString('utf8');
    }
  };

  console.log(`provider=${kms.kind} seconds=${seconds} node=${process.version} cpus=${require('node:os').cpus().length}`);
  const warmRate = await measure('decrypt, warm data-key cache', () => warm.decrypt(ctx, envelope));
  const coldRate = await measure('decrypt, cold (unwrap per read, 1 in flight)', () => cold.decrypt(ctx, envelope));
  const coldParallel = await measure('decrypt, cold (unwrap per read, 16 in flight)', () => cold.decrypt(ctx, envelope), 16);
  const plainRate = await measure('bare AES-256-GCM of the two fields', plainDecrypt);
  console.log(`warm / cold (1 in flight):  ${(warmRate / coldRate).toFixed(1)}x`);
  console.log(`warm / cold (16 in flight): ${(warmRate / coldParallel).toFixed(1)}x`);
  console.log(`warm / bare AES-GCM:        ${(warmRate / plainRate).toFixed(2)}x (cost of HKDF + envelope checks)`);
  console.log(`cache: ${warm.cache.hits} hits, ${warm.cache.misses} misses`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
