import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import type { Page } from '../common/pagination/cursor';
import { ValidationProblem } from '../common/problem/problem.exception';
import { type RequestLogFilter, RequestLogRepository } from './request-log.repository';
import type { RequestLogRecord } from './request-log.schema';

/** One call as the admin API shows it: the stored record and its id. */
export type RequestLogView = { id: string } & RequestLogRecord;

/** Queries of the call audit trail for the admin API. */
@Injectable()
export class RequestLogService {
  constructor(private readonly repo: RequestLogRepository) {}

  async query(filter: RequestLogFilter, limit: number, cursor?: string): Promise<Page<RequestLogView>> {
    if (cursor && !Types.ObjectId.isValid(cursor)) throw new ValidationProblem(['cursor: is not a cursor this API returned']);
    const records = await this.repo.find(filter, limit + 1, cursor);
    const page = records.slice(0, limit);
    return {
      items: page.map(({ _id, ...r }) => ({ id: _id.toHexString(), ...r })),
      next_cursor: records.length > limit ? page[page.length - 1]._id.toHexString() : null,
    };
  }
}
