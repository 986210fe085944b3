import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { dependencyProblemOf, SecretUnreadableProblem } from './dependency.problems';
import { PROBLEM_TYPE_BASE, type ProblemDetails, ProblemException } from './problem.exception';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Maps Fastify's own error codes (raised before Nest sees the request) to problem types. */
const FASTIFY_CODES: Record<string, { slug: string; title: string; status: number; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    slug: 'payload-too-large',
    title: 'Payload Too Large',
    status: 413,
    detail: 'The request body is larger than this route accepts.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    slug: 'unsupported-media-type',
    title: 'Unsupported Media Type',
    status: 415,
    detail: 'The Content-Type of the request is not accepted by this route.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    slug: 'malformed-request',
    title: 'Bad Request',
    status: 400,
    detail: 'The Content-Length header does not match the body.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    slug: 'malformed-request',
    title: 'Bad Request',
    status: 400,
    detail: 'The JSON body is empty.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    slug: 'malformed-request',
    title: 'Bad Request',
    status: 400,
    detail: 'The body is not valid JSON.',
  },
};

const GENERIC_SLUGS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  408: 'request-timeout',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'too-many-requests',
  503: 'service-unavailable',
};

export interface RenderedProblem {
  body: ProblemDetails;
  headers: Record<string, string>;
  /** True when the error was not an expected client error: log it with its stack. */
  unexpected: boolean;
  /** A data store outage answered as 503: worth a warning line (no stack), not an error. */
  outage?: boolean;
}

/**
 * Turns any thrown value into problem details. Only messages we wrote ourselves
 * reach the client; anything unexpected becomes a generic 500.
 */
export function renderProblem(error: unknown, instance: string, requestId: string): RenderedProblem {
  if (error instanceof ProblemException) return renderTyped(error, instance, requestId);
  // MongoDB or Redis unreachable, or a stored secret that cannot be decrypted: their own types, never a 500 internal-error.
  // (A deliberate 4xx HttpException keeps its status, whatever its cause.)
  const dependency = error instanceof HttpException && error.getStatus() < 500 ? undefined : dependencyProblemOf(error);
  if (dependency) {
    const rendered = renderTyped(dependency, instance, requestId);
    // An undecryptable secret is an integrity fault: logged with its stack like anything unexpected.
    return dependency instanceof SecretUnreadableProblem ? { ...rendered, unexpected: true } : { ...rendered, outage: true };
  }
  const base = { instance, requestId };
  // Fastify's own errors (body limit, parsers) reach us wrapped in an HttpException by Nest's adapter.
  const fastifyCode = codeOf(error) ?? (error instanceof HttpException ? codeOf(error.cause) : undefined);
  const known = fastifyCode ? FASTIFY_CODES[fastifyCode] : undefined;
  if (known) {
    return {
      body: { type: PROBLEM_TYPE_BASE + known.slug, title: known.title, status: known.status, detail: known.detail, ...base },
      headers: {},
      unexpected: false,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const messages =
      typeof response === 'object' && response !== null && 'message' in response
        ? (response as { message: unknown }).message
        : error.message;
    const errors = Array.isArray(messages) ? messages.map(String) : undefined;
    const detail = errors ? errors.join('; ') : String(messages);
    const slug = status === 400 && errors ? 'validation-failed' : (GENERIC_SLUGS[status] ?? `http-${status}`);
    return {
      body: {
        type: PROBLEM_TYPE_BASE + slug,
        title: STATUS_CODES[status] ?? 'Error',
        status,
        detail: status >= 500 ? 'The server could not complete the request.' : detail,
        ...(errors ? { errors } : {}),
        ...base,
      },
      headers: {},
      unexpected: status >= 500,
    };
  }
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return {
      body: {
        type: PROBLEM_TYPE_BASE + (GENERIC_SLUGS[statusCode] ?? `http-${statusCode}`),
        title: STATUS_CODES[statusCode] ?? 'Error',
        status: statusCode,
        detail: 'The request could not be processed.',
        ...base,
      },
      headers: {},
      unexpected: false,
    };
  }
  return {
    body: {
      type: PROBLEM_TYPE_BASE + 'internal-error',
      title: 'Internal Server Error',
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      detail: 'The server could not complete the request. Quote the request id when reporting this.',
      ...base,
    },
    headers: {},
    unexpected: true,
  };
}

function renderTyped(error: ProblemException, instance: string, requestId: string): RenderedProblem {
  return {
    body: {
      // Extensions first: they can never overwrite the standard members.
      ...error.extensions,
      type: PROBLEM_TYPE_BASE + error.slug,
      title: error.title,
      status: error.getStatus(),
      detail: error.detail,
      instance,
      requestId,
    },
    headers: error.headers,
    unexpected: false,
  };
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
