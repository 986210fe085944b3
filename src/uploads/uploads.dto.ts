import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { UserParams } from '../users/users.controller';

/** Form fields of POST /v1/users/:user_id/uploads besides the file `photo`: Flickr's upload arguments plus our priority. */
export class UploadFieldsDto {
  @ApiPropertyOptional({ maxLength: 255 }) @IsOptional() @IsString() @MaxLength(255) title?: string;
  @ApiPropertyOptional({ maxLength: 32_000 }) @IsOptional() @IsString() @MaxLength(32_000) description?: string;
  /** Space-separated, as Flickr takes them. */
  @ApiPropertyOptional({ maxLength: 2_000, description: 'space-separated, as Flickr takes them' }) @IsOptional() @IsString() @MaxLength(2_000) tags?: string;
  @ApiPropertyOptional({ enum: ['0', '1'] }) @IsOptional() @IsIn(['0', '1']) is_public?: string;
  @ApiPropertyOptional({ enum: ['0', '1'] }) @IsOptional() @IsIn(['0', '1']) is_friend?: string;
  @ApiPropertyOptional({ enum: ['0', '1'] }) @IsOptional() @IsIn(['0', '1']) is_family?: string;
  /** 1 safe, 2 moderate, 3 restricted. */
  @ApiPropertyOptional({ enum: ['1', '2', '3'], description: '1 safe, 2 moderate, 3 restricted' }) @IsOptional() @IsIn(['1', '2', '3']) safety_level?: string;
  /** 1 photo, 2 screenshot, 3 other. */
  @ApiPropertyOptional({ enum: ['1', '2', '3'], description: '1 photo, 2 screenshot, 3 other' }) @IsOptional() @IsIn(['1', '2', '3']) content_type?: string;
  /** 1 shown in global search, 2 hidden. */
  @ApiPropertyOptional({ enum: ['1', '2'], description: '1 shown in global search, 2 hidden' }) @IsOptional() @IsIn(['1', '2']) hidden?: string;
  @ApiPropertyOptional({ enum: ['high', 'normal', 'low'], default: 'normal', description: "scheduling within the client's own jobs" })
  @IsOptional()
  @IsIn(['high', 'normal', 'low'])
  priority?: 'high' | 'normal' | 'low';
}

export const UPLOAD_FIELD_NAMES = [
  'title',
  'description',
  'tags',
  'is_public',
  'is_friend',
  'is_family',
  'safety_level',
  'content_type',
  'hidden',
  'priority',
] as const;

/**
 * Form fields of POST /v1/users/:user_id/photos/:photo_id/replace besides the file `photo`: Flickr's replace API
 * takes only the file (the photo keeps its title, tags, visibility...), so only our priority.
 */
export class ReplaceFieldsDto {
  @ApiPropertyOptional({ enum: ['high', 'normal', 'low'], default: 'normal', description: "scheduling within the client's own jobs" })
  @IsOptional()
  @IsIn(['high', 'normal', 'low'])
  priority?: 'high' | 'normal' | 'low';
}

export const REPLACE_FIELD_NAMES = ['priority'] as const;

/** Flickr photo ids are decimal numbers (kept as strings: they outgrow 2^53 in principle). */
export const FLICKR_PHOTO_ID = /^[0-9]{1,20}$/;

export class ReplaceParams extends UserParams {
  @ApiProperty({ example: '52981234567', pattern: FLICKR_PHOTO_ID.source, description: 'the Flickr id of a photo of this user (digits)' })
  @Matches(FLICKR_PHOTO_ID, { message: 'photo_id must be a Flickr photo id (1-20 digits)' })
  photo_id!: string;
}

/** Swagger shape of the replace body. */
export class ReplaceFormDoc extends ReplaceFieldsDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'the new photo or video, at most UPLOADS_MAX_FILE_BYTES' })
  photo!: unknown;
}

/** Swagger shape of the multipart body. */
export class UploadFormDoc extends UploadFieldsDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'the photo or video, at most UPLOADS_MAX_FILE_BYTES' })
  photo!: unknown;
}

export class JobIdParams {
  @ApiProperty({ format: 'uuid' })
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { message: 'job_id must be a job id this API returned' })
  job_id!: string;
}

export class UploadAcceptedView {
  @ApiProperty({ format: 'uuid' }) job_id!: string;
  @ApiProperty({ enum: ['queued'] }) status!: 'queued';
  @ApiProperty({ example: '/v1/uploads/4b3c...' }) status_url!: string;
}

export class UploadJobView {
  @ApiProperty() job_id!: string;
  @ApiProperty() user_id!: string;
  @ApiProperty({ enum: ['upload', 'replace'], description: 'a new photo, or new bytes for an existing photo' }) kind!: 'upload' | 'replace';
  @ApiProperty({ enum: ['queued', 'active', 'completed', 'failed', 'expired', 'cancelled'] }) status!: string;
  @ApiProperty({ enum: ['high', 'normal', 'low'] }) priority!: string;
  @ApiProperty() filename!: string;
  @ApiProperty() bytes!: number;
  @ApiProperty({ description: 'runs started so far (retries and re-runs after a worker died included)' }) attempts!: number;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'upload: the new Flickr photo id once completed; replace: the photo replaced (from the start)' }) photo_id!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'why it failed' }) reason!: string | null;
  @ApiProperty() created_at!: Date;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) started_at!: Date | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) finished_at!: Date | null;
}
