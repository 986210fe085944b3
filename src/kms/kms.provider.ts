/** A fresh data key: the plaintext (use, then zero) and its wrapped form (store this). */
export interface DataKey {
  plaintext: Buffer;
  wrapped: string;
  keyVersion: number;
}

/** A wrapped data key re-encrypted under the newest key version. */
export interface RewrappedKey {
  wrapped: string;
  keyVersion: number;
}

export interface KeyInfo {
  name: string;
  latestVersion: number;
  minDecryptionVersion: number;
  /** Creation time of each version, when the provider knows it. */
  versionCreatedAt: Record<number, Date | undefined>;
}

/**
 * The key-management port: key-encryption keys (KEKs) never leave the provider;
 * callers only ever see data keys, wrapped by a KEK. Injected by class
 * (`constructor(private kms: KmsProvider)`); KmsModule picks the implementation.
 */
export abstract class KmsProvider {
  /** 'vault' or 'local'; stored with each record so a reader knows who wrapped it. */
  abstract readonly kind: 'vault' | 'local';

  /** A new random 256-bit data key wrapped by the newest version of `keyName`. */
  abstract generateDataKey(keyName: string): Promise<DataKey>;

  /** Unwraps a data key; fails (DecryptionFailedError) if the wrapped form was altered. */
  abstract unwrapDataKey(keyName: string, wrapped: string): Promise<Buffer>;

  /** Re-wraps data keys under the newest key version without exposing them (transit `rewrap`). */
  abstract rewrapDataKeys(keyName: string, wrapped: readonly string[]): Promise<RewrappedKey[]>;

  /** Adds a new key version; new data keys are wrapped by it from now on. */
  abstract rotateKey(keyName: string): Promise<KeyInfo>;

  abstract keyInfo(keyName: string): Promise<KeyInfo>;

  /** Throws when the provider cannot serve requests (used by readiness). */
  abstract ping(): Promise<void>;
}

/** The key version named in a wrapped key (`vault:v3:...`, `local:v3:...`). */
export function wrappedKeyVersion(wrapped: string): number {
  const m = /^[a-z]+:v(\d+):/.exec(wrapped);
  if (!m) throw new Error('wrapped key has no version prefix');
  return Number(m[1]);
}
