import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/http/route-access';
import { securityEventFilter, SecurityEventPageResponse, SecurityEventsQuery } from '../security-events/security-events.dto';
import { SecurityEvents } from '../security-events/security-events.service';

/** Security events (key, user-erasure and KMS events); admin keys only. */
@ApiTags('admin')
@Authenticated('admin')
@Controller('admin/security-events')
export class SecurityEventsAdminController {
  constructor(private readonly events: SecurityEvents) {}

  @Get()
  @ApiOperation({ summary: 'Security events, newest first; filters: action (or prefix.*), key_id, client_id, time range' })
  @ApiOkResponse({ type: SecurityEventPageResponse })
  @ApiBadRequestResponse({ description: 'validation-failed problem: malformed filter, time or cursor' })
  query(@Query() q: SecurityEventsQuery) {
    return this.events.query(securityEventFilter(q), q.limit, q.cursor);
  }
}
