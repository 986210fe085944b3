import { Injectable } from '@nestjs/common';
import { DataKeyCache } from './data-key.cache';
import { ENVELOPE_FORMAT, type Envelope, openField, type RecordContext, sealField } from './envelope';
import { KmsConfig } from './kms.config';
import { DecryptionFailedError } from './kms.errors';
import { KmsProvider } from './kms.provider';

/** Which key-encryption key protects a secret: user tokens and app credentials never share one. */
export type KeyPurpose = 'user-tokens' | 'app-credentials';
export const KEY_PURPOSES: readonly KeyPurpose[] = ['user-tokens', 'app-credentials'];

interface WriterKey {
  plaintext: Buffer;
  wrapped: string;
  keyVersion: number;
  uses: number;
  expiresAt: number;
}

/**
 * Envelope encryption of a record's secret fields. Holds the rules: which KEK
 * per purpose, how long a data key is reused for writing, and the unwrapped
 * data-key cache for reading. The KMS provider only wraps and unwraps.
 */
@Injectable()
export class EnvelopeService {
  readonly cache: DataKeyCache;
  private readonly writers = new Map<string, Promise<WriterKey>>();

  constructor(
    private readonly kms: KmsProvider,
    private readonly config: KmsConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new DataKeyCache(config.KMS_DATA_KEY_CACHE_MAX_ENTRIES, config.KMS_DATA_KEY_CACHE_TTL_MS, now);
  }

  /** The transit key name for a purpose. */
  keyName(purpose: KeyPurpose): string {
    return purpose === 'user-tokens' ? this.config.KMS_KEY_USER_TOKENS : this.config.KMS_KEY_APP_CREDENTIALS;
  }

  /** Encrypts every field of one record; the result is what gets stored. */
  async encrypt(purpose: KeyPurpose, ctx: RecordContext, fields: Record<string, string>): Promise<Envelope> {
    const keyName = this.keyName(purpose);
    const writer = await this.writerKey(keyName);
    const sealed = Object.fromEntries(
      Object.entries(fields).map(([name, value]) => [name, sealField(writer.plaintext, ctx, name, keyName, value)]),
    );
    return { f: ENVELOPE_FORMAT, p: this.kms.kind, k: keyName, kv: writer.keyVersion, wk: writer.wrapped, fields: sealed };
  }

  /** Decrypts every field; throws DecryptionFailedError on any tampering or misplacement. */
  async decrypt(ctx: RecordContext, envelope: Envelope): Promise<Record<string, string>> {
    if (envelope?.f !== ENVELOPE_FORMAT) throw new DecryptionFailedError('unknown envelope format');
    if (envelope.p !== this.kms.kind) throw new DecryptionFailedError(`record was wrapped by the ${envelope.p} provider`);
    const known = [this.config.KMS_KEY_USER_TOKENS, this.config.KMS_KEY_APP_CREDENTIALS];
    if (!known.includes(envelope.k)) throw new DecryptionFailedError('record names an unknown key');
    const keyName = envelope.k;
    const dataKey = await this.cache.get(`${keyName}|${envelope.wk}`, () => this.kms.unwrapDataKey(keyName, envelope.wk));
    const out: Record<string, string> = {};
    for (const [name, sealed] of Object.entries(envelope.fields ?? {})) out[name] = openField(dataKey, ctx, name, keyName, sealed);
    return out;
  }

  /** Forgets the data key used for writing, so the next record gets one wrapped by the newest key version. */
  forgetWriterKey(keyName: string): void {
    this.writers.delete(keyName);
  }

  /**
   * One data key encrypts many records (each under its own HKDF-derived key),
   * up to KMS_DATA_KEY_MAX_USES records or KMS_DATA_KEY_CACHE_TTL_MS.
   */
  private async writerKey(keyName: string): Promise<WriterKey> {
    const current = this.writers.get(keyName);
    if (current) {
      const key = await current.catch(() => undefined);
      if (key && key.uses < this.config.KMS_DATA_KEY_MAX_USES && key.expiresAt > this.now()) {
        key.uses++;
        return key;
      }
      if (this.writers.get(keyName) !== current) return this.writerKey(keyName);
    }
    const next = this.kms.generateDataKey(keyName).then((dk) => {
      // The fresh key is also a reader's cache entry: reading back what we wrote needs no unwrap.
      this.cache.set(`${keyName}|${dk.wrapped}`, dk.plaintext);
      return { ...dk, uses: 0, expiresAt: this.now() + Math.max(this.config.KMS_DATA_KEY_CACHE_TTL_MS, 1) };
    });
    this.writers.set(keyName, next);
    try {
      const key = await next;
      key.uses++;
      return key;
    } catch (error) {
      if (this.writers.get(keyName) === next) this.writers.delete(keyName);
      throw error;
    }
  }
}
