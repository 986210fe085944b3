import { Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import { Public } from '../common/http/route-access';

/** GET /metrics: the library's controller, declared public (scrapers carry no key; restrict it at the network edge). */
@Public()
@ApiExcludeController()
export class MetricsController extends PrometheusController {
  @Get()
  override index(@Res({ passthrough: true }) response: unknown): Promise<string> {
    return super.index(response);
  }
}
