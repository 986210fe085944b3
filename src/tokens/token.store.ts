import { Injectable } from '@nestjs/common';
import type { Envelope } from '../kms/envelope';
import { EnvelopeService } from '../kms/envelope.service';
import { TokenRepository } from './token.repository';

/** A user's Flickr OAuth 1.0a access token. Never log it, never return it from an endpoint. */
export interface FlickrTokens {
  token: string;
  secret: string;
}

/**
 * A user's token as stored: the envelope only (ciphertext and wrapped data key), never the
 * plaintext. What a replica may keep in memory to spare a database read (see UserTokenCache).
 */
export interface SealedToken {
  userId: string;
  enc: Envelope;
}

/** Where a token record's ciphertexts are bound (HKDF info and AAD). */
export function tokenContext(userId: string) {
  return { collection: 'tokens', recordId: userId };
}

/**
 * The only code that reads or writes OAuth tokens. Encrypts on write,
 * decrypts on read, and still reads legacy plaintext documents until the
 * migration has converted them.
 */
@Injectable()
export class TokenStore {
  constructor(
    private readonly repository: TokenRepository,
    private readonly envelope: EnvelopeService,
  ) {}

  async save(userId: string, tokens: FlickrTokens): Promise<void> {
    const enc = await this.envelope.encrypt('user-tokens', tokenContext(userId), {
      oauth_token: tokens.token,
      oauth_token_secret: tokens.secret,
    });
    await this.repository.upsertEncrypted(userId, enc);
  }

  /**
   * The user's token as stored, still sealed; null when none is stored or it is a legacy plaintext
   * record (read those with {@link get}: they are never kept anywhere else).
   */
  async readSealed(userId: string): Promise<SealedToken | null> {
    const doc = await this.repository.findByUserId(userId);
    return doc?.enc ? { userId, enc: doc.enc } : null;
  }

  /** Decrypts a sealed token (bound to its user: another user's envelope does not open). */
  async open(sealed: SealedToken): Promise<FlickrTokens> {
    const fields = await this.envelope.decrypt(tokenContext(sealed.userId), sealed.enc);
    return { token: fields.oauth_token, secret: fields.oauth_token_secret };
  }

  /** The user's tokens, or null when none are stored. Throws DecryptionFailedError on tampering. */
  async get(userId: string): Promise<FlickrTokens | null> {
    const doc = await this.repository.findByUserId(userId);
    if (!doc) return null;
    if (doc.enc) return this.open({ userId, enc: doc.enc });
    if (typeof doc.oauth_token === 'string' && typeof doc.oauth_token_secret === 'string') {
      return { token: doc.oauth_token, secret: doc.oauth_token_secret };
    }
    return null;
  }

  delete(userId: string): Promise<boolean> {
    return this.repository.deleteByUserId(userId);
  }
}
