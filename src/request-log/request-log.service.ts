import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { ValidationProblem } from '../common/problem/problem.exception';
import { type RequestLogFilter, RequestLogRepository } from './request-log.repository';

export interface RequestLogView {
  id: string;
  at: Date;
  key_id: string | null;
  client_id: string | null;
  source_ip: string;
  method: string;
  route: string;
  user_id: string | null;
  status: number;
  latency_ms: number;
  request_id: string;
}

/** Queries of the call audit trail for the admin API. */
@Injectable()
export class RequestLogService {
  constructor(private readonly repo: RequestLogRepository) {}

  async query(filter: RequestLogFilter, limit: number, cursor?: string): Promise<{ items: RequestLogView[]; next_cursor: string | null }> {
    if (cursor && !Types.ObjectId.isValid(cursor)) throw new ValidationProblem(['cursor: is not a cursor this API returned']);
    const records = await this.repo.find(filter, limit + 1, cursor);
    const page = records.slice(0, limit);
    return {
      items: page.map(({ _id, ...r }) => ({ id: _id.toHexString(), ...r })),
      next_cursor: records.length > limit ? page[page.length - 1]._id.toHexString() : null,
    };
  }
}
