import { HttpException } from '@nestjs/common';

/** Base of every problem type URI; types are stable identifiers documented in docs/errors.md. */
export const PROBLEM_TYPE_BASE = 'urn:flickr-gateway:problem:';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  [extension: string]: unknown;
}

/**
 * A typed error with a stable `type` slug. Services throw subclasses of this;
 * the global filter renders them as RFC 9457 problem+json.
 */
export class ProblemException extends HttpException {
  constructor(
    readonly slug: string,
    readonly title: string,
    status: number,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail, status);
  }
}

export class NotFoundProblem extends ProblemException {
  constructor(detail = 'The requested resource does not exist.') {
    super('not-found', 'Not Found', 404, detail);
  }
}

export class PayloadTooLargeProblem extends ProblemException {
  constructor(detail = 'The request body is larger than this route accepts.') {
    super('payload-too-large', 'Payload Too Large', 413, detail);
  }
}

export class UnsupportedMediaTypeProblem extends ProblemException {
  constructor(accepted: readonly string[], received: string | undefined) {
    super(
      'unsupported-media-type',
      'Unsupported Media Type',
      415,
      `This route accepts ${accepted.join(', ')}; received ${received ? `'${received}'` : 'no Content-Type'}.`,
      { accepted },
    );
  }
}

export class ValidationProblem extends ProblemException {
  constructor(errors: string[]) {
    super('validation-failed', 'Request Validation Failed', 400, errors.join('; '), { errors });
  }
}
