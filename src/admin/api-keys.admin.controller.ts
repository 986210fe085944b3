import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyAdmin } from '../auth/api-key.admin';
import { ApiKeyIssuer } from '../auth/api-key.issuer';
import { Authenticated, CurrentPrincipal } from '../common/http/route-access';
import type { Principal } from '../common/http/request-context';
import { ApiKeyPageResponse, ApiKeyResponse, IssuedApiKeyResponse } from './admin.responses';
import { CreateApiKeyDto, KeyIdParams, ListApiKeysQuery, RotateApiKeyDto, UpdateApiKeyDto } from './admin.dto';

const actor = (p: Principal) => `admin-key:${p.keyId}`;

/** API-key administration; admin keys only. Secrets appear only in create and rotate responses. */
@ApiTags('admin')
@Authenticated('admin')
@Controller('admin/keys')
export class ApiKeysAdminController {
  constructor(
    private readonly issuer: ApiKeyIssuer,
    private readonly keys: ApiKeyAdmin,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a key; api_key and signing_secret are shown this once' })
  @ApiCreatedResponse({ type: IssuedApiKeyResponse, description: 'the key, with api_key and signing_secret' })
  create(@CurrentPrincipal() p: Principal, @Body() body: CreateApiKeyDto) {
    return this.issuer.create(body, actor(p));
  }

  @Get()
  @ApiOperation({ summary: 'List keys (no secrets), newest first, cursor-paginated' })
  @ApiOkResponse({ type: ApiKeyPageResponse })
  list(@Query() q: ListApiKeysQuery) {
    return this.keys.list({ client_id: q.client_id, role: q.role, status: q.status }, q.limit, q.cursor);
  }

  @Get(':key_id')
  @ApiOperation({ summary: 'One key (no secrets)' })
  @ApiOkResponse({ type: ApiKeyResponse })
  @ApiNotFoundResponse()
  get(@Param() params: KeyIdParams) {
    return this.keys.get(params.key_id);
  }

  @Patch(':key_id')
  @ApiOperation({ summary: 'Update name, rate-limit override, IP allowlist, expiry' })
  @ApiOkResponse({ type: ApiKeyResponse })
  @ApiNotFoundResponse()
  update(@CurrentPrincipal() p: Principal, @Param() params: KeyIdParams, @Body() body: UpdateApiKeyDto) {
    return this.keys.update(params.key_id, body, actor(p));
  }

  @Post(':key_id/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'New secrets, shown once; the old ones work until the grace period ends' })
  @ApiOkResponse({ type: IssuedApiKeyResponse })
  @ApiNotFoundResponse()
  @ApiConflictResponse({
    description: 'key-rotation-conflict: the previous rotation\'s grace period is still running, or a concurrent rotation of this key won; no secret issued',
  })
  rotate(@CurrentPrincipal() p: Principal, @Param() params: KeyIdParams, @Body() body: RotateApiKeyDto) {
    return this.issuer.rotate(params.key_id, actor(p), body?.grace_period_seconds);
  }

  @Post(':key_id/revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke now: audited, refused by this replica at once and by the others when told (retried while Redis is down; at worst after their cache TTL)',
  })
  @ApiOkResponse({ type: ApiKeyResponse })
  @ApiNotFoundResponse()
  revoke(@CurrentPrincipal() p: Principal, @Param() params: KeyIdParams) {
    return this.keys.revoke(params.key_id, actor(p));
  }
}
