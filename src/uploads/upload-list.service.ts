import { Injectable } from '@nestjs/common';
import { decodeCursor, type Page, pageOf } from '../common/pagination/cursor';
import { ValidationProblem } from '../common/problem/problem.exception';
import { UploadJobRepository } from './upload-job.repository';
import type { UploadStatus } from './upload-job.schema';
import type { UploadJobView } from './uploads.dto';
import { toJobView } from './uploads.service';

/** A cursor position's id in this list is a job id (the tie-breaker after created_at). */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What GET /v1/uploads filters on, as validated by UploadsListQuery (times still ISO 8601 text). */
export interface UploadListFilter {
  user_id?: string;
  status?: UploadStatus;
  from?: string;
  to?: string;
}

/** Lists a client's own upload and replace jobs a page at a time (GET /v1/uploads). */
@Injectable()
export class UploadListService {
  constructor(private readonly jobs: UploadJobRepository) {}

  /**
   * One page of `clientId`'s jobs, oldest first, each as GET /v1/uploads/:job_id shows it; `cursor` is the
   * previous page's next_cursor. The client is always part of the query, so a cursor (only a position)
   * never reaches another client's jobs.
   */
  async page(clientId: string, filter: UploadListFilter, limit: number, cursor?: string): Promise<Page<UploadJobView>> {
    const from = filter.from === undefined ? undefined : new Date(filter.from);
    const to = filter.to === undefined ? undefined : new Date(filter.to);
    // The DTO checked the syntax; an impossible date (2026-02-30) still parses to NaN here.
    if (from && Number.isNaN(from.getTime())) throw new ValidationProblem(['from: is not a valid date-time']);
    if (to && Number.isNaN(to.getTime())) throw new ValidationProblem(['to: is not a valid date-time']);
    if (from && to && from >= to) throw new ValidationProblem(['from: must be before to']);
    const after = cursor === undefined ? undefined : decodeCursor(cursor, JOB_ID);
    const rows = await this.jobs.listOfClient(clientId, { user_id: filter.user_id, status: filter.status, from, to }, limit + 1, after);
    return pageOf(rows, limit, (r) => ({ at: r.created_at, id: r.job_id }), toJobView);
  }
}
