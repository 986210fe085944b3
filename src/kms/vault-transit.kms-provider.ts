import { readFileSync } from 'node:fs';
import nodeVault from 'node-vault';
import { DecryptionFailedError, KmsUnavailableProblem } from './kms.errors';
import { type DataKey, type KeyInfo, KmsProvider, type RewrappedKey } from './kms.provider';

export interface VaultTransitOptions {
  endpoint: string;
  transitMount: string;
  auth: { method: 'token'; token: string } | { method: 'kubernetes'; role: string; mount: string; jwtPath: string };
  namespace?: string;
  caFile?: string;
  timeoutMs: number;
  maxRetries: number;
}

type VaultClient = ReturnType<typeof nodeVault>;

function statusOf(error: unknown): number | undefined {
  const status = (error as { response?: { statusCode?: number } })?.response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Production provider: Vault (or OpenBao) transit through `node-vault`. Data
 * keys come from `datakey/plaintext`, are unwrapped with `decrypt`, and moved
 * to a newer key version with `rewrap`, so rewrapping never exposes them.
 * An adapter: one method per transit call, retries on 5xx/network errors.
 */
export class VaultTransitKmsProvider extends KmsProvider {
  readonly kind = 'vault' as const;
  private readonly client: VaultClient;
  private loggedIn: Promise<void> | undefined;

  constructor(private readonly options: VaultTransitOptions) {
    super();
    this.client = nodeVault({
      endpoint: options.endpoint,
      namespace: options.namespace || undefined,
      token: options.auth.method === 'token' ? options.auth.token : undefined,
      requestOptions: {
        timeout: options.timeoutMs,
        ...(options.caFile ? { ca: readFileSync(options.caFile) } : {}),
      },
    });
  }

  private path(op: string, keyName: string): string {
    return `${this.options.transitMount}/${op}/${encodeURIComponent(keyName)}`;
  }

  /** Kubernetes auth: log in once (and again after a 403, when the token expired). */
  private async ensureAuth(force = false): Promise<void> {
    if (this.options.auth.method !== 'kubernetes') return;
    const { role, mount, jwtPath } = this.options.auth;
    if (force) this.loggedIn = undefined;
    this.loggedIn ??= (async () => {
      const jwt = readFileSync(jwtPath, 'utf8').trim();
      // tokenSource: node-vault stores the returned client token on the client.
      await this.client.kubernetesLogin({ role, jwt, mount_point: mount });
    })().catch((error: unknown) => {
      this.loggedIn = undefined;
      throw error;
    });
    await this.loggedIn;
  }

  /** One transit call with retries on 5xx and network errors; 4xx are final. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    await this.ensureAuth();
    let reauthed = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const status = statusOf(error);
        if (status === 403 && this.options.auth.method === 'kubernetes' && !reauthed) {
          reauthed = true;
          await this.ensureAuth(true);
          continue;
        }
        const retryable = status === undefined || status >= 500;
        if (!retryable || attempt >= this.options.maxRetries) throw error;
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1000)));
      }
    }
  }

  private unavailable(error: unknown): never {
    const status = statusOf(error);
    // Vault's error messages name paths and key names, never key material; keep them out of responses anyway.
    throw new KmsUnavailableProblem(status ? `Vault answered ${status}.` : 'Vault could not be reached.');
  }

  async generateDataKey(keyName: string): Promise<DataKey> {
    const res = await this.call(() => this.client.write(this.path('datakey/plaintext', keyName), {})).catch((e) =>
      this.unavailable(e),
    );
    return {
      plaintext: Buffer.from(res.data.plaintext, 'base64'),
      wrapped: res.data.ciphertext,
      keyVersion: Number(res.data.key_version),
    };
  }

  async unwrapDataKey(keyName: string, wrapped: string): Promise<Buffer> {
    if (!wrapped.startsWith('vault:v')) throw new DecryptionFailedError('wrapped key is not from Vault transit');
    try {
      const res = await this.call(() => this.client.write(this.path('decrypt', keyName), { ciphertext: wrapped }));
      return Buffer.from(res.data.plaintext, 'base64');
    } catch (error) {
      // Transit answers 400 for an altered or unknown ciphertext (and for a version below min_decryption_version).
      if (statusOf(error) === 400) throw new DecryptionFailedError('Vault refused the wrapped key');
      return this.unavailable(error);
    }
  }

  async rewrapDataKeys(keyName: string, wrapped: readonly string[]): Promise<RewrappedKey[]> {
    if (wrapped.length === 0) return [];
    const res = await this.call(() =>
      this.client.write(this.path('rewrap', keyName), { batch_input: wrapped.map((ciphertext) => ({ ciphertext })) }),
    ).catch((e) => this.unavailable(e));
    const results = res.data.batch_results as { ciphertext?: string; key_version?: number; error?: string }[];
    return results.map((r) => {
      if (r.error || !r.ciphertext) throw new DecryptionFailedError('Vault refused a wrapped key during rewrap');
      return { wrapped: r.ciphertext, keyVersion: Number(r.key_version ?? /^vault:v(\d+):/.exec(r.ciphertext)?.[1]) };
    });
  }

  async rotateKey(keyName: string): Promise<KeyInfo> {
    await this.call(() => this.client.write(`${this.options.transitMount}/keys/${encodeURIComponent(keyName)}/rotate`, {})).catch(
      (e) => this.unavailable(e),
    );
    return this.keyInfo(keyName);
  }

  async keyInfo(keyName: string): Promise<KeyInfo> {
    const res = await this.call(() => this.client.read(this.path('keys', keyName))).catch((e) => this.unavailable(e));
    const keys = (res.data.keys ?? {}) as Record<string, number | string>;
    return {
      name: keyName,
      latestVersion: Number(res.data.latest_version),
      minDecryptionVersion: Number(res.data.min_decryption_version),
      versionCreatedAt: Object.fromEntries(
        Object.entries(keys).map(([v, t]) => [Number(v), new Date(typeof t === 'number' ? t * 1000 : t)]),
      ),
    };
  }

  /** Raises min_decryption_version (runbook step after a finished rewrap); exposed for the CLI and tests. */
  async setMinDecryptionVersion(keyName: string, version: number): Promise<void> {
    await this.call(() =>
      this.client.write(`${this.options.transitMount}/keys/${encodeURIComponent(keyName)}/config`, { min_decryption_version: version }),
    ).catch((e) => this.unavailable(e));
  }

  async ping(): Promise<void> {
    await this.call(() => this.client.read('sys/health')).then((h: { sealed?: boolean; initialized?: boolean }) => {
      if (h?.sealed) throw new Error('Vault is sealed');
      if (h?.initialized === false) throw new Error('Vault is not initialized');
    });
  }
}
