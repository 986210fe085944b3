import { Injectable } from '@nestjs/common';
import { SecurityEvents } from '../security-events/security-events.service';
import { EnvelopeService, KEY_PURPOSES, type KeyPurpose } from './envelope.service';
import { KmsConfig } from './kms.config';
import { UnknownKeyProblem } from './kms.errors';
import { type KeyInfo, KmsProvider } from './kms.provider';

const DAY_MS = 24 * 3600 * 1000;

/** Rotation rules: when a key is due, and what happens around a rotation (audit, fresh data keys). */
@Injectable()
export class KeyRotationService {
  constructor(
    private readonly kms: KmsProvider,
    private readonly envelope: EnvelopeService,
    private readonly config: KmsConfig,
    private readonly audit: SecurityEvents,
  ) {}

  /** Parses an admin-supplied purpose, or throws a 404 problem. */
  purpose(value: string): KeyPurpose {
    if (!(KEY_PURPOSES as readonly string[]).includes(value)) throw new UnknownKeyProblem(value, KEY_PURPOSES);
    return value as KeyPurpose;
  }

  async describe(): Promise<(KeyInfo & { purpose: KeyPurpose; provider: string })[]> {
    return Promise.all(
      KEY_PURPOSES.map(async (purpose) => ({ purpose, provider: this.kms.kind, ...(await this.kms.keyInfo(this.envelope.keyName(purpose))) })),
    );
  }

  /** Adds a key version, records it in the audit trail, and stops writing with data keys of the old one. */
  async rotate(purpose: KeyPurpose, actor: string): Promise<KeyInfo> {
    const keyName = this.envelope.keyName(purpose);
    const before = await this.kms.keyInfo(keyName);
    const after = await this.kms.rotateKey(keyName);
    this.envelope.forgetWriterKey(keyName);
    await this.audit.record({
      action: 'kms.key.rotated',
      actor,
      target: keyName,
      details: { purpose, provider: this.kms.kind, fromVersion: before.latestVersion, toVersion: after.latestVersion },
    });
    return after;
  }

  /** True when the newest version is older than KMS_ROTATION_INTERVAL_DAYS (unknown age counts as not due). */
  isDue(info: KeyInfo, now = Date.now()): boolean {
    const created = info.versionCreatedAt[info.latestVersion];
    return !!created && now - created.getTime() >= this.config.KMS_ROTATION_INTERVAL_DAYS * DAY_MS;
  }
}
