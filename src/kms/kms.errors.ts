import { ProblemException } from '../common/problem/problem.exception';

/**
 * A ciphertext, tag, IV, salt or wrapped key failed authentication, or a
 * ciphertext was moved to another record. Never carries any secret material.
 * Reaching a client, it is answered `500 secret-unreadable` (not retryable;
 * src/common/problem/dependency.problems.ts), never a generic internal-error;
 * its `name` is what the renderer recognises.
 */
export class DecryptionFailedError extends Error {
  constructor(reason: string) {
    super(`decryption failed: ${reason}`);
    this.name = 'DecryptionFailedError';
  }
}

/** The key service could not be reached or refused the request. */
export class KmsUnavailableProblem extends ProblemException {
  constructor(detail = 'The key management service is unavailable.') {
    super('kms-unavailable', 'Key Service Unavailable', 503, detail, {}, { 'retry-after': '5' });
  }
}

/** An admin request named a key purpose that does not exist. */
export class UnknownKeyProblem extends ProblemException {
  constructor(purpose: string, known: readonly string[]) {
    super('kms-unknown-key', 'Unknown Key', 404, `No key purpose '${purpose}'; known: ${known.join(', ')}.`, { known });
  }
}
