import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/http/route-access';
import { HealthService } from './health.service';

/** Probes for load balancers and orchestrators. Never authenticated, never rate-limited. */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers (no dependency checks)' })
  live() {
    return this.health.live();
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: MongoDB and Redis reachable and not draining; 503 names what is down' })
  ready() {
    return this.health.ready();
  }
}
