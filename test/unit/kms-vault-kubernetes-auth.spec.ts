import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VaultTransitKmsProvider } from '../../src/kms/vault-transit.kms-provider';

/*
 * Kubernetes auth cannot run against the local OpenBao: its Kubernetes auth method checks the service-account JWT
 * through a Kubernetes API server's TokenReview, and there is no cluster here (docs/security/encryption.md, Tests).
 * So the provider's own rules around it are checked with node-vault's client replaced: log in once with the
 * projected token, log in again once after a 403 (the Vault token expired), and give up on a second 403.
 */

const vaultError = (statusCode: number) => Object.assign(new Error(`Status ${statusCode}`), { response: { statusCode } });

describe('VaultTransitKmsProvider with Kubernetes auth (node-vault replaced)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fgw-k8s-jwt-'));
  const jwtPath = join(dir, 'token');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function setup(writes: Array<Error | Record<string, unknown>>) {
    writeFileSync(jwtPath, 'header.payload.signature\n');
    const provider = new VaultTransitKmsProvider({
      endpoint: 'http://vault.invalid:8200',
      transitMount: 'transit',
      auth: { method: 'kubernetes', role: 'flickr-gateway', mount: 'k8s-prod', jwtPath },
      timeoutMs: 1000,
      maxRetries: 0,
    });
    const client = {
      kubernetesLogin: jest.fn(async (_args: { role: string; jwt: string; mount_point: string }) => ({ auth: { client_token: 's.token' } })),
      write: jest.fn(async () => {
        const next = writes.shift();
        if (!next || next instanceof Error) throw next ?? new Error('no answer left');
        return next;
      }),
    };
    (provider as unknown as { client: typeof client }).client = client;
    return { provider, client };
  }

  const datakey = { data: { plaintext: Buffer.alloc(32, 7).toString('base64'), ciphertext: 'vault:v1:abc', key_version: 1 } };

  it('logs in once with the role, the mount and the projected token (trimmed), then reuses the login', async () => {
    const { provider, client } = setup([datakey, datakey]);
    await provider.generateDataKey('k');
    await provider.generateDataKey('k');
    expect(client.kubernetesLogin).toHaveBeenCalledTimes(1);
    expect(client.kubernetesLogin).toHaveBeenCalledWith({ role: 'flickr-gateway', jwt: 'header.payload.signature', mount_point: 'k8s-prod' });
  });

  it('logs in again after a 403 (reading the token file anew, as Kubernetes rotates it) and repeats the call', async () => {
    const { provider, client } = setup([datakey, vaultError(403), datakey]);
    writeFileSync(jwtPath, 'first.jwt.value');
    await provider.generateDataKey('k');
    writeFileSync(jwtPath, 'rotated.jwt.value');
    const key = await provider.generateDataKey('k');
    expect(key.wrapped).toBe('vault:v1:abc');
    expect(client.kubernetesLogin.mock.calls.map(([args]) => args.jwt)).toEqual(['first.jwt.value', 'rotated.jwt.value']);
    expect(client.write).toHaveBeenCalledTimes(3);
  });

  it('gives up on a second 403 in a row: kms-unavailable, not an endless login loop', async () => {
    const { provider, client } = setup([vaultError(403), vaultError(403), datakey]);
    await expect(provider.generateDataKey('k')).rejects.toMatchObject({ slug: 'kms-unavailable', message: expect.stringContaining('403') });
    expect(client.kubernetesLogin).toHaveBeenCalledTimes(2);
    expect(client.write).toHaveBeenCalledTimes(2);
  });

  it('retries the login itself on the next call when it failed', async () => {
    const { provider, client } = setup([datakey]);
    client.kubernetesLogin.mockRejectedValueOnce(vaultError(500));
    await expect(provider.generateDataKey('k')).rejects.toBeDefined();
    await expect(provider.generateDataKey('k')).resolves.toMatchObject({ wrapped: 'vault:v1:abc' });
    expect(client.kubernetesLogin).toHaveBeenCalledTimes(2);
  });
});
