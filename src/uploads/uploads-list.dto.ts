import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, Matches } from 'class-validator';
import { PageQuery } from '../common/pagination/page.query';
import type { UploadStatus } from './upload-job.schema';
import { UploadJobView } from './uploads.dto';

export const UPLOAD_STATUSES: readonly UploadStatus[] = ['queued', 'active', 'completed', 'failed', 'expired', 'cancelled'];

/** Query parameters of GET /v1/uploads. */
export class UploadsListQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'user-42', description: 'only this user\'s jobs' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'user_id must be 1-128 of A-Z a-z 0-9 . _ : -' })
  user_id?: string;

  @ApiPropertyOptional({ enum: UPLOAD_STATUSES, description: 'only jobs in this status' })
  @IsOptional()
  @IsIn(UPLOAD_STATUSES, { message: `status must be one of ${UPLOAD_STATUSES.join(', ')}` })
  status?: UploadStatus;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'only jobs accepted at or after this instant (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'from must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z' })
  from?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'only jobs accepted before this instant (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'to must be an ISO 8601 date-time such as 2026-02-01T00:00:00Z' })
  to?: string;
}

export class UploadJobPageResponse {
  @ApiProperty({ type: [UploadJobView], description: 'oldest first (created_at, then job_id); each as GET /v1/uploads/:job_id answers it' })
  items!: UploadJobView[];

  @ApiProperty({ type: String, nullable: true, description: 'pass as ?cursor= for the next page; null on the last' }) next_cursor!: string | null;
}
