import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { UnsupportedMediaTypeProblem } from '../problem/problem.exception';

const CONSUMES_KEY = 'fgw:consumes';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Declares the media types a route accepts; routes without it accept application/json. */
export const Consumes = (...mediaTypes: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(CONSUMES_KEY, mediaTypes);

/**
 * Rejects a body whose Content-Type the route does not declare, with 415.
 * Fastify would happily parse text/plain for a JSON route; we refuse it.
 */
@Injectable()
export class ContentTypeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!BODY_METHODS.has(request.method)) return true;
    const accepted = this.reflector.getAllAndOverride<string[] | undefined>(CONSUMES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]) ?? ['application/json'];
    const header = request.headers['content-type'];
    const mediaType = header?.split(';')[0]?.trim().toLowerCase();
    const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'];
    if (!mediaType && !hasBody) return true;
    if (!mediaType || !accepted.includes(mediaType)) throw new UnsupportedMediaTypeProblem(accepted, header);
    return true;
  }
}
