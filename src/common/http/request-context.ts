import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyRequest } from 'fastify';

/** The role of an API key: client keys act for their own users, admin keys run the admin API. */
export type CallerRole = 'client' | 'admin';

/**
 * Who is calling: produced once by authentication (src/bootstrap/request-pipeline.ts) and read by
 * controllers, rate limits, the request log, metrics and logging, none of which imports the auth
 * feature to do so.
 */
export interface Principal {
  keyId: string;
  clientId: string;
  role: CallerRole;
  ipAllowlist: string[];
  /** The key's per-minute limit override from the admin API, if any. */
  rateLimit?: number | null;
  method: 'api-key' | 'hmac';
  /** The key's weight in the upload queue's fair scheduling (default 1; docs/queue.md). */
  queueWeight?: number;
}

/** A user as the gateway knows it: always inside the calling client's namespace. */
export interface ScopedUserRef {
  clientId: string;
  userId: string;
}

/**
 * Everything the request pipeline learns about a request, in the order it learns it:
 * request id and client address on arrival, then the principal (authentication), then the
 * scoped user the route names. One object per request, attached to the Fastify request.
 */
export interface RequestContext {
  readonly requestId: string;
  /** The client address (X-Forwarded-For honoured only from trusted proxies). */
  clientIp: string;
  principal?: Principal;
  /** The `:user_id` of the route, scoped by the principal's client. */
  user?: ScopedUserRef;
}

const CONTEXT = Symbol.for('fgw.requestContext');

type WithContext = FastifyRequest & { [CONTEXT]?: RequestContext };

/** Attaches a fresh context (the pipeline's first step, in an onRequest hook). */
export function openRequestContext(request: FastifyRequest, clientIp: string): RequestContext {
  const context: RequestContext = { requestId: String(request.id), clientIp };
  (request as WithContext)[CONTEXT] = context;
  return context;
}

/**
 * The request's context. Requests rejected before the pipeline opened one (none today: the
 * onRequest hook is the first thing that runs) get a context from the socket address.
 */
export function requestContextOf(request: FastifyRequest): RequestContext {
  return (request as WithContext)[CONTEXT] ?? openRequestContext(request, request.raw.socket?.remoteAddress ?? 'unknown');
}

/**
 * The context of the request whose code is running, for code that has no request object at hand
 * (log lines carry its request id through the logger's mixin). The pipeline enters it once per
 * request, in its first hook.
 */
export const requestContextStorage = new AsyncLocalStorage<RequestContext>();

/** The context of the request being handled by the current async call chain, if any. */
export function currentRequestContext(): RequestContext | undefined {
  return requestContextStorage.getStore();
}
