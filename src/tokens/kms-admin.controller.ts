import { type CanActivate, Controller, Get, HttpCode, Injectable, Param, Post, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, RoutePrecondition } from '../common/http/route-access';
import { NotFoundProblem } from '../common/problem/problem.exception';
import { AppConfig } from '../config/app.config';
import { KEY_PURPOSES } from '../kms/envelope.service';
import { KeyRotationService } from '../kms/key-rotation.service';
import { KmsConfig } from '../kms/kms.config';
import { TokenMigrationService } from './token-migration.service';
import { TokenRewrapJob } from './token-rewrap.job';
import { TokenRepository } from './token.repository';

/**
 * Hides /admin/kms/* unless KMS_ADMIN_ROUTES_ENABLED (default: on outside
 * production). When enabled they still require an admin key.
 */
@Injectable()
export class KmsAdminRoutesGuard implements CanActivate {
  constructor(
    private readonly kms: KmsConfig,
    private readonly app: AppConfig,
  ) {}

  canActivate(): boolean {
    if (!this.kms.adminRoutesEnabled(this.app.NODE_ENV)) throw new NotFoundProblem();
    return true;
  }
}

/** Key status, rotation, rewrap progress and migration status. Never returns key material or tokens. */
@ApiTags('admin: kms')
@ApiNotFoundResponse({ description: 'these routes are off (KMS_ADMIN_ROUTES_ENABLED=false)' })
@Controller('admin/kms')
// The switch runs before authentication: disabled routes are a 404 even without a key.
@Authenticated('admin')
@RoutePrecondition(KmsAdminRoutesGuard)
export class KmsAdminController {
  constructor(
    private readonly rotation: KeyRotationService,
    private readonly rewrap: TokenRewrapJob,
    private readonly migration: TokenMigrationService,
    private readonly tokens: TokenRepository,
  ) {}

  @Get('keys')
  @ApiOperation({ summary: 'Versions of each key (latest, min_decryption_version)' })
  async keys() {
    return { keys: await this.rotation.describe() };
  }

  @Post('keys/:purpose/rotate')
  @HttpCode(202)
  @ApiOperation({ summary: 'Rotate a key (user-tokens | app-credentials) and start the rewrap of its envelopes' })
  async rotate(@Param('purpose') purpose: string) {
    const rotated = this.rotation.purpose(purpose);
    const key = await this.rotation.rotate(rotated, 'admin-api');
    void this.rewrap.start('admin-api', rotated);
    return { key, rewrap: 'started' };
  }

  @Get('rewrap')
  @ApiOperation({ summary: 'Progress of the rewrap job of one key (?purpose=, default user-tokens)' })
  progress(@Query('purpose') purpose?: string) {
    return this.rewrap.progress(this.rotation.purpose(purpose ?? 'user-tokens'));
  }

  @Post('rewrap')
  @HttpCode(202)
  @ApiOperation({ summary: 'Start or resume the rewrap jobs of both keys; answers the user-tokens progress' })
  async startRewrap() {
    for (const purpose of KEY_PURPOSES) void this.rewrap.start('admin-api', purpose);
    return this.rewrap.progress();
  }

  @Get('tokens/migration')
  @ApiOperation({ summary: 'How many token documents are still plaintext' })
  async migrationStatus() {
    const [plaintextRemaining, encrypted] = await Promise.all([this.migration.remaining(), this.tokens.countEncrypted()]);
    return { plaintextRemaining, encrypted };
  }
}
