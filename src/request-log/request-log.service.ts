import { Injectable } from '@nestjs/common';
import type { Page } from '../common/pagination/cursor';
import { ValidationProblem } from '../common/problem/problem.exception';
import { type RequestLogFilter, type RequestLogPosition, RequestLogRepository, type StoredRequestLog } from './request-log.repository';

/** One call as the admin API shows it: the stored record and its id. */
export type RequestLogView = StoredRequestLog;

/** A record id: `<batch _id>.<index>`, or a bare _id (a record stored before batches). The cursor is a record id. */
const RECORD_ID = /^([0-9a-f]{24})(?:\.(\d{1,6}))?$/;

/** Queries of the call audit trail for the admin API. */
@Injectable()
export class RequestLogService {
  constructor(private readonly repo: RequestLogRepository) {}

  async query(filter: RequestLogFilter, limit: number, cursor?: string): Promise<Page<RequestLogView>> {
    const records = await this.repo.find(filter, limit + 1, cursor === undefined ? undefined : positionOf(cursor));
    const page = records.slice(0, limit);
    return { items: page, next_cursor: records.length > limit ? page[page.length - 1]!.id : null };
  }
}

function positionOf(cursor: string): RequestLogPosition {
  const match = RECORD_ID.exec(cursor);
  if (!match) throw new ValidationProblem(['cursor: is not a cursor this API returned']);
  return { batchId: match[1]!, index: match[2] === undefined ? undefined : Number(match[2]) };
}
