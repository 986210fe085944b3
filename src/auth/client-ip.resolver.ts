import type { BlockList } from 'node:net';
import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthConfig } from './auth.config';
import { cidrList, clientIp } from './client-ip';
import type { AuthenticatedRequestFields } from './principal';

/** The client address of a request, honouring X-Forwarded-For only from AUTH_TRUSTED_PROXIES. */
@Injectable()
export class ClientIpResolver {
  private readonly trusted?: BlockList;

  constructor(config: AuthConfig) {
    this.trusted = config.AUTH_TRUSTED_PROXIES.length > 0 ? cidrList(config.AUTH_TRUSTED_PROXIES) : undefined;
  }

  resolve(request: FastifyRequest): string {
    const fields = request as FastifyRequest & AuthenticatedRequestFields;
    fields.clientIp ??= clientIp(request.raw.socket?.remoteAddress, request.headers['x-forwarded-for'], this.trusted);
    return fields.clientIp;
  }
}
