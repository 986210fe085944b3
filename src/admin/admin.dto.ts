import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsDate, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const KEY_ID = /^[a-z2-7]{12}$/;

export class KeyIdParams {
  @ApiProperty({ example: 'abcdefgh2345' })
  @Matches(KEY_ID, { message: 'key_id must be 12 characters a-z 2-7' })
  key_id!: string;
}

/** Settings shared by create and update. `name` is not here: optional on update, required on create. */
class ApiKeySettingsDto {
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'null: never expires' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  expires_at?: Date | null;

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'requests per minute; read by the rate-limit module' })
  @IsOptional()
  @IsInt()
  @Min(1)
  rate_limit_override?: number | null;

  @ApiPropertyOptional({ default: 1, description: 'share of the upload worker relative to other clients (weighted round-robin, docs/queue.md)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  queue_weight?: number;

  @ApiPropertyOptional({ type: [String], example: ['203.0.113.0/24', '2001:db8::/32'], description: 'empty: any address' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  ip_allowlist?: string[];
}

export class UpdateApiKeyDto extends ApiKeySettingsDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;
}

// Not `extends UpdateApiKeyDto`: class-validator inherits @IsOptional, so a missing name passed validation
// and failed in MongoDB as a 500 (found by the schemathesis fuzz run).
export class CreateApiKeyDto extends ApiKeySettingsDto {
  @ApiProperty({ example: 'acme-photos' })
  @Matches(CLIENT_ID, { message: 'client_id must be 1-128 of A-Z a-z 0-9 . _ : -' })
  client_id!: string;

  @ApiProperty({ example: 'production backend' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: ['client', 'admin'] })
  @IsIn(['client', 'admin'])
  role!: 'client' | 'admin';
}

export class RotateApiKeyDto {
  @ApiPropertyOptional({ description: 'seconds the old secret keeps working; default AUTH_ROTATION_GRACE_SECONDS' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30 * 86400)
  grace_period_seconds?: number;
}

export class ListApiKeysQuery {
  @ApiPropertyOptional() @IsOptional() @Matches(CLIENT_ID) client_id?: string;
  @ApiPropertyOptional({ enum: ['client', 'admin'] }) @IsOptional() @IsIn(['client', 'admin']) role?: string;
  @ApiPropertyOptional({ enum: ['active', 'revoked'] }) @IsOptional() @IsIn(['active', 'revoked']) status?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) cursor?: string;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit = 50;
}

export class AuditQuery {
  @ApiPropertyOptional() @IsOptional() @Matches(KEY_ID) key_id?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(CLIENT_ID) client_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(128) user_id?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @Type(() => Date) @IsDate() from?: Date;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @Type(() => Date) @IsDate() to?: Date;
  @ApiPropertyOptional({ description: "the previous page's `next_cursor`; a cursor this API did not make answers 400" }) @IsOptional() @IsString() @MaxLength(64) cursor?: string;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit = 50;
}
