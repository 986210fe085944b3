import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSlice } from '../../src/config/env.validation';
import { KmsConfig } from '../../src/kms/kms.config';
import { DecryptionFailedError } from '../../src/kms/kms.errors';
import { createKmsProvider } from '../../src/kms/kms.module';
import type { KmsProvider } from '../../src/kms/kms.provider';
import { createTransitKeys, useOpenBao, vaultPost } from './kms-env';

/*
 * The Vault provider's transport options against real OpenBao servers: retries on 5xx (a fault-injecting
 * forwarder in front of the real server: it answers 5xx itself for chosen requests and passes every other
 * request through untouched), the namespace header (OpenBao namespaces), and a TLS CA file (a second OpenBao
 * in `-dev-tls` mode, whose generated CA the provider must be given).
 */

const suffix = randomBytes(4).toString('hex');
useOpenBao(suffix);
const config = loadSlice(KmsConfig, process.env);
const BAO = resolve(__dirname, '../../.tools/bin/bao');

function provider(overrides: Record<string, string>): KmsProvider {
  return createKmsProvider(loadSlice(KmsConfig, { ...process.env, ...overrides }), { NODE_ENV: 'test' });
}

/**
 * A forwarder to the real OpenBao that answers `status` itself to the next `failNext` requests whose path
 * contains `pathPart`, and records every request it saw.
 */
class FaultInjector {
  readonly seen: string[] = [];
  failNext = 0;
  status = 503;
  pathPart = '/transit/';
  private server!: Server;

  async start(): Promise<string> {
    const target = new URL(config.VAULT_ADDR);
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      this.seen.push(`${req.method} ${req.url}`);
      if (this.failNext > 0 && req.url?.includes(this.pathPart)) {
        this.failNext--;
        req.resume();
        res.writeHead(this.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: ['injected failure'] }));
        return;
      }
      const upstream = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  transitCalls(): number {
    return this.seen.filter((line) => line.includes(this.pathPart)).length;
  }

  stop(): Promise<void> {
    return new Promise((ok) => this.server.close(() => ok()));
  }
}

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise((ok) => server.close(ok));
  return port;
}

describe('Vault provider transport against real OpenBao servers', () => {
  beforeAll(async () => {
    await createTransitKeys(config);
  });

  describe('retries', () => {
    const injector = new FaultInjector();
    let kms: KmsProvider;

    beforeAll(async () => {
      const endpoint = await injector.start();
      kms = provider({ VAULT_ADDR: endpoint, VAULT_MAX_RETRIES: '2' });
    });
    afterAll(() => injector.stop());
    beforeEach(() => {
      injector.seen.length = 0;
      injector.failNext = 0;
    });

    it.each([500, 502, 503])('retries a %i answer and succeeds once Vault answers', async (status) => {
      injector.status = status;
      injector.failNext = 2;
      const key = await kms.generateDataKey(config.KMS_KEY_USER_TOKENS);
      expect(injector.transitCalls()).toBe(3);
      expect(key.plaintext).toHaveLength(32);
      // The key really came from OpenBao: it unwraps there.
      expect((await kms.unwrapDataKey(config.KMS_KEY_USER_TOKENS, key.wrapped)).equals(key.plaintext)).toBe(true);
    });

    it('gives up after VAULT_MAX_RETRIES retries with a kms-unavailable problem naming the status', async () => {
      injector.status = 503;
      injector.failNext = 10;
      await expect(kms.generateDataKey(config.KMS_KEY_USER_TOKENS)).rejects.toMatchObject({
        slug: 'kms-unavailable',
        message: expect.stringContaining('503'),
      });
      expect(injector.transitCalls()).toBe(3);
    });

    it('never retries a 4xx: an altered wrapped key is one request and a decryption failure', async () => {
      const key = await kms.generateDataKey(config.KMS_KEY_USER_TOKENS);
      injector.seen.length = 0;
      const altered = key.wrapped.slice(0, -6) + (key.wrapped.endsWith('AAAA==') ? 'BBBB==' : 'AAAA==');
      await expect(kms.unwrapDataKey(config.KMS_KEY_USER_TOKENS, altered)).rejects.toBeInstanceOf(DecryptionFailedError);
      expect(injector.transitCalls()).toBe(1);
    });
  });

  describe('namespace', () => {
    const namespace = `fgw-${suffix}`;

    beforeAll(async () => {
      await vaultPost(`sys/namespaces/${namespace}`, {});
      await vaultPost('sys/mounts/transit', { type: 'transit' }, { namespace });
      await vaultPost(`transit/keys/${config.KMS_KEY_USER_TOKENS}`, { type: 'aes256-gcm96' }, { namespace });
    });

    it('sends VAULT_NAMESPACE: keys of the namespace are used, and the root namespace cannot unwrap them', async () => {
      const scoped = provider({ VAULT_NAMESPACE: namespace });
      const root = provider({});
      const key = await scoped.generateDataKey(config.KMS_KEY_USER_TOKENS);
      expect((await scoped.unwrapDataKey(config.KMS_KEY_USER_TOKENS, key.wrapped)).equals(key.plaintext)).toBe(true);
      // Same key name in the root namespace is another key: it refuses the namespace's ciphertext.
      await expect(root.unwrapDataKey(config.KMS_KEY_USER_TOKENS, key.wrapped)).rejects.toBeInstanceOf(DecryptionFailedError);
      // And the other way round.
      const rootKey = await root.generateDataKey(config.KMS_KEY_USER_TOKENS);
      await expect(scoped.unwrapDataKey(config.KMS_KEY_USER_TOKENS, rootKey.wrapped)).rejects.toBeInstanceOf(DecryptionFailedError);
    });
  });

  describe('TLS with a CA file', () => {
    const certDir = mkdtempSync(join(tmpdir(), 'fgw-bao-tls-'));
    const token = `tls-root-${suffix}`;
    let server: ChildProcess | undefined;
    let endpoint = '';
    let output = '';

    beforeAll(async () => {
      if (!existsSync(BAO)) throw new Error(`${BAO} missing: scripts/openbao.sh install builds it`);
      const port = await freePort();
      endpoint = `https://127.0.0.1:${port}`;
      server = spawn(
        BAO,
        ['server', '-dev', '-dev-tls', `-dev-tls-cert-dir=${certDir}`, `-dev-listen-address=127.0.0.1:${port}`, `-dev-root-token-id=${token}`],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: certDir } },
      );
      server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      server.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      // Ready once it prints its root token; the CA file is written before that.
      for (let i = 0; i < 150 && !output.includes('Root Token'); i++) await new Promise((r) => setTimeout(r, 200));
      if (!output.includes('Root Token')) throw new Error(`OpenBao -dev-tls did not start:\n${output}`);
      // Enable transit through the bao CLI, which is given the generated CA.
      for (const args of [['secrets', 'enable', 'transit'], ['write', '-f', `transit/keys/${config.KMS_KEY_USER_TOKENS}`]]) {
        await new Promise<void>((ok, fail) => {
          const cli = spawn(BAO, args, {
            env: { ...process.env, BAO_ADDR: endpoint, BAO_TOKEN: token, BAO_CACERT: join(certDir, 'vault-ca.pem') },
            stdio: 'ignore',
          });
          cli.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`bao ${args.join(' ')} exited ${code}`))));
        });
      }
    }, 60_000);

    afterAll(async () => {
      if (server && server.exitCode === null) {
        const exited = new Promise((ok) => server!.once('exit', ok));
        server.kill('SIGTERM');
        await exited;
      }
      rmSync(certDir, { recursive: true, force: true });
    });

    it('talks to an HTTPS Vault whose certificate chains to VAULT_CA_FILE', async () => {
      const kms = provider({ VAULT_ADDR: endpoint, VAULT_TOKEN: token, VAULT_CA_FILE: join(certDir, 'vault-ca.pem') });
      const key = await kms.generateDataKey(config.KMS_KEY_USER_TOKENS);
      expect((await kms.unwrapDataKey(config.KMS_KEY_USER_TOKENS, key.wrapped)).equals(key.plaintext)).toBe(true);
    });

    it('refuses the same server without the CA file (an untrusted certificate is unavailable, not trusted)', async () => {
      const kms = provider({ VAULT_ADDR: endpoint, VAULT_TOKEN: token, VAULT_MAX_RETRIES: '0' });
      await expect(kms.generateDataKey(config.KMS_KEY_USER_TOKENS)).rejects.toMatchObject({ slug: 'kms-unavailable' });
    });
  });
});
