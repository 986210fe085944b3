import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { KmsModule } from '../kms/kms.module';
import { KeyRotationScheduler } from './key-rotation.scheduler';
import { StoredEnvelopesRepository } from './stored-envelopes.repository';
import { TokenMigrationService } from './token-migration.service';
import { TokenRewrapJob } from './token-rewrap.job';
import { TokenMetrics } from './token.metrics';
import { TokenRepository } from './token.repository';
import { JOB_CHECKPOINT_MODEL, JobCheckpointSchema, TOKEN_MODEL, TokenSchema } from './token.schema';
import { TokenStore } from './token.store';

/** The token vault: TokenStore (the only reader/writer of OAuth tokens), rewrap of every envelope under both keys, migration, admin routes. */
@Module({
  imports: [
    KmsModule,
    MongooseModule.forFeature([
      { name: TOKEN_MODEL, schema: TokenSchema },
      { name: JOB_CHECKPOINT_MODEL, schema: JobCheckpointSchema },
    ]),
  ],
  providers: [TokenRepository, StoredEnvelopesRepository, TokenStore, TokenMetrics, TokenRewrapJob, TokenMigrationService, KeyRotationScheduler],
  exports: [TokenStore, TokenRewrapJob, TokenMigrationService, TokenRepository, KmsModule],
})
export class TokensModule {}
