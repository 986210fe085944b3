import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DecryptionFailedError } from './kms.errors';
import { type DataKey, type KeyInfo, KmsProvider, type RewrappedKey, wrappedKeyVersion } from './kms.provider';

/** name -> version -> 32-byte master key */
export type LocalKeyRing = Map<string, Map<number, Buffer>>;

/** Parses `name:version:base64,...` (KMS_LOCAL_KEYS). */
export function parseLocalKeys(spec: string): LocalKeyRing {
  const ring: LocalKeyRing = new Map();
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, version, b64] = entry.split(':');
    const key = Buffer.from(b64 ?? '', 'base64');
    if (!name || !/^\d+$/.test(version ?? '') || key.length !== 32) {
      throw new Error('KMS_LOCAL_KEYS: each entry must be name:version:base64 of 32 bytes');
    }
    if (!ring.has(name)) ring.set(name, new Map());
    ring.get(name)!.set(Number(version), key);
  }
  return ring;
}

function readKeyFile(path: string): LocalKeyRing {
  const ring: LocalKeyRing = new Map();
  if (!existsSync(path)) return ring;
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, string>>;
  for (const [name, versions] of Object.entries(json)) {
    ring.set(name, new Map(Object.entries(versions).map(([v, b64]) => [Number(v), Buffer.from(b64, 'base64')])));
  }
  return ring;
}

/**
 * Development/test provider with the same contract as transit: versioned
 * 256-bit master keys, data keys wrapped with AES-256-GCM as `local:v<N>:<b64>`.
 * Keys come from KMS_LOCAL_KEYS or a JSON file; a key with no configured
 * version gets a random in-memory one (data is then lost on restart).
 * Refused in production unless explicitly allowed (see KmsConfig).
 */
export class LocalKmsProvider extends KmsProvider {
  readonly kind = 'local' as const;
  private readonly created = new Map<string, Date>();
  private readonly minDecryption = new Map<string, number>();

  constructor(
    private readonly ring: LocalKeyRing,
    private readonly keyFile?: string,
  ) {
    super();
  }

  /** From KMS_LOCAL_KEYS and/or KMS_LOCAL_KEYS_FILE. */
  static fromConfig(spec: string | undefined, keyFile: string | undefined): LocalKmsProvider {
    const ring = keyFile ? readKeyFile(keyFile) : new Map();
    if (spec) for (const [name, versions] of parseLocalKeys(spec)) ring.set(name, versions);
    return new LocalKmsProvider(ring, keyFile);
  }

  private versions(keyName: string): Map<number, Buffer> {
    let versions = this.ring.get(keyName);
    if (!versions || versions.size === 0) {
      versions = new Map([[1, randomBytes(32)]]);
      this.ring.set(keyName, versions);
    }
    return versions;
  }

  private latest(keyName: string): number {
    return Math.max(...this.versions(keyName).keys());
  }

  private wrap(keyName: string, version: number, plaintext: Buffer): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.versions(keyName).get(version)!, iv);
    // AAD binds the wrapped key to its KEK name and version, like transit's key derivation does.
    cipher.setAAD(Buffer.from(`local-kms|${keyName}|${version}`));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `local:v${version}:${Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64')}`;
  }

  async generateDataKey(keyName: string): Promise<DataKey> {
    const version = this.latest(keyName);
    const plaintext = randomBytes(32);
    return { plaintext, wrapped: this.wrap(keyName, version, plaintext), keyVersion: version };
  }

  async unwrapDataKey(keyName: string, wrapped: string): Promise<Buffer> {
    let version: number;
    try {
      version = wrappedKeyVersion(wrapped);
    } catch {
      throw new DecryptionFailedError('malformed wrapped key');
    }
    if (!wrapped.startsWith('local:')) throw new DecryptionFailedError('wrapped key is not from the local provider');
    if (version < (this.minDecryption.get(keyName) ?? 1)) throw new DecryptionFailedError('key version below min_decryption_version');
    const key = this.versions(keyName).get(version);
    if (!key) throw new DecryptionFailedError('unknown key version');
    const raw = Buffer.from(wrapped.slice(wrapped.indexOf(':', 6) + 1), 'base64');
    if (raw.length < 12 + 16 + 1) throw new DecryptionFailedError('wrapped key too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(`local-kms|${keyName}|${version}`));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
    } catch {
      throw new DecryptionFailedError('wrapped key failed authentication');
    }
  }

  async rewrapDataKeys(keyName: string, wrapped: readonly string[]): Promise<RewrappedKey[]> {
    const version = this.latest(keyName);
    const out: RewrappedKey[] = [];
    for (const w of wrapped) {
      const plaintext = await this.unwrapDataKey(keyName, w);
      out.push({ wrapped: this.wrap(keyName, version, plaintext), keyVersion: version });
      plaintext.fill(0);
    }
    return out;
  }

  async rotateKey(keyName: string): Promise<KeyInfo> {
    const next = this.latest(keyName) + 1;
    this.versions(keyName).set(next, randomBytes(32));
    this.created.set(`${keyName}:${next}`, new Date());
    if (this.keyFile) this.persist();
    return this.keyInfo(keyName);
  }

  /** Same meaning as transit's min_decryption_version: older versions no longer decrypt. */
  setMinDecryptionVersion(keyName: string, version: number): void {
    this.minDecryption.set(keyName, version);
  }

  async keyInfo(keyName: string): Promise<KeyInfo> {
    const versions = [...this.versions(keyName).keys()];
    return {
      name: keyName,
      latestVersion: Math.max(...versions),
      minDecryptionVersion: this.minDecryption.get(keyName) ?? 1,
      versionCreatedAt: Object.fromEntries(versions.map((v) => [v, this.created.get(`${keyName}:${v}`)])),
    };
  }

  async ping(): Promise<void> {}

  private persist(): void {
    const json: Record<string, Record<string, string>> = {};
    for (const [name, versions] of this.ring) {
      json[name] = Object.fromEntries([...versions].map(([v, k]) => [String(v), k.toString('base64')]));
    }
    // Write-then-rename so a crash never leaves a half-written key file.
    const tmp = `${this.keyFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(json, null, 2), { mode: 0o600 });
    renameSync(tmp, this.keyFile!);
  }
}
