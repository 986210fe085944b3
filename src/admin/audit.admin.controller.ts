import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditPageResponse } from './admin.responses';
import { RequestLogService } from '../request-log/request-log.service';
import { Authenticated } from '../common/http/route-access';
import { AuditQuery } from './admin.dto';

/** The call audit trail; admin keys only. */
@ApiTags('admin')
@Authenticated('admin')
@Controller('admin/audit')
export class AuditAdminController {
  constructor(private readonly audit: RequestLogService) {}

  @Get()
  @ApiOperation({ summary: 'Audit records, newest first; filters: key, client, user_id, time range' })
  @ApiOkResponse({ type: AuditPageResponse })
  query(@Query() q: AuditQuery) {
    return this.audit.query({ key_id: q.key_id, client_id: q.client_id, user_id: q.user_id, from: q.from, to: q.to }, q.limit, q.cursor);
  }
}
