import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { DecryptionFailedError } from './kms.errors';

/** Version of the stored format below; readers refuse any other. */
export const ENVELOPE_FORMAT = 1;

/** One encrypted field. All members are raw bytes (BSON binary in MongoDB). */
export interface SealedField {
  /** HKDF salt, 16 random bytes per record and field. */
  s: Buffer;
  /** AES-GCM IV, 12 random bytes. */
  iv: Buffer;
  ct: Buffer;
  /** AES-GCM tag, 16 bytes. */
  t: Buffer;
}

/**
 * The self-describing stored format of a record's secrets:
 * `{ f: 1, p: 'vault'|'local', k: <KEK name>, kv: <KEK version>, wk: <wrapped data key>, fields: { name: SealedField } }`.
 */
export interface Envelope {
  f: typeof ENVELOPE_FORMAT;
  p: 'vault' | 'local';
  k: string;
  kv: number;
  wk: string;
  fields: Record<string, SealedField>;
}

/** Where a ciphertext belongs; bound into both the derived key and the AAD. */
export interface RecordContext {
  collection: string;
  recordId: string;
}

const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function context(ctx: RecordContext, field: string): string {
  // JSON-encode so that no choice of ids can make two different contexts serialise alike.
  return JSON.stringify([ctx.collection, ctx.recordId, field]);
}

/**
 * Each data key as a KeyObject, made once. Node 24's crypto functions check whether a key is a KeyObject
 * in a way that costs ≈ 15 µs for a Buffer (hkdfSync 20 µs with a Buffer, 9.5 µs with a KeyObject;
 * createDecipheriv 20 µs vs 1.5 µs, measured on this project's machine): on an uncached proxy call, which
 * opens two fields, a Buffer key was a tenth of the gateway's CPU (issue 15's profile). Weak: an entry
 * lives as long as the data-key cache keeps its Buffer.
 */
const keyObjects = new WeakMap<Buffer, KeyObject>();

function asKeyObject(dataKey: Buffer): KeyObject {
  let key = keyObjects.get(dataKey);
  if (!key) keyObjects.set(dataKey, (key = createSecretKey(dataKey)));
  return key;
}

/** Per-record, per-field key: HKDF-SHA256(data key, random salt, info = record and field), as a KeyObject (see above). */
function recordKey(dataKey: Buffer, salt: Buffer, ctx: RecordContext, field: string): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', asKeyObject(dataKey), salt, `fgw-envelope/${ENVELOPE_FORMAT}|${context(ctx, field)}`, 32)));
}

/**
 * AAD: format, record, field and the KEK name. The KEK *version* is not bound,
 * because rewrap changes it without touching the ciphertext; the wrapped key
 * is authenticated by the key service itself.
 */
function aad(ctx: RecordContext, field: string, keyName: string): Buffer {
  return Buffer.from(`fgw-envelope/${ENVELOPE_FORMAT}|${context(ctx, field)}|${keyName}`);
}

/** Encrypts one field with AES-256-GCM under a key derived for this record and field. */
export function sealField(dataKey: Buffer, ctx: RecordContext, field: string, keyName: string, plaintext: string): SealedField {
  const s = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', recordKey(dataKey, s, ctx, field), iv);
  cipher.setAAD(aad(ctx, field, keyName));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { s, iv, ct, t: cipher.getAuthTag() };
}

/** Accepts a Buffer or a BSON Binary (what the driver returns). */
export function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  const inner = (value as { buffer?: unknown } | null)?.buffer;
  if (inner instanceof Uint8Array) return Buffer.from(inner);
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new DecryptionFailedError('field is not binary');
}

/** Decrypts one field, or throws DecryptionFailedError; never returns wrong plaintext. */
export function openField(dataKey: Buffer, ctx: RecordContext, field: string, keyName: string, sealed: SealedField): string {
  const s = toBuffer(sealed?.s);
  const iv = toBuffer(sealed?.iv);
  const t = toBuffer(sealed?.t);
  const ct = toBuffer(sealed?.ct);
  if (s.length !== SALT_BYTES || iv.length !== IV_BYTES || t.length !== TAG_BYTES) {
    throw new DecryptionFailedError('malformed field');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', recordKey(dataKey, s, ctx, field), iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(ctx, field, keyName));
    decipher.setAuthTag(t);
    return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptionFailedError('field failed authentication');
  }
}
