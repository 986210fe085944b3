import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../common/http/route-access';
import type { Principal } from '../common/http/request-context';
import type { Page } from '../common/pagination/cursor';
import {
  type WebhookDeliveryView,
  type WebhookEndpointCreated,
  WebhookEndpointsService,
  type WebhookEndpointView,
} from './webhook-endpoints.service';
import {
  CreateWebhookEndpointDto,
  WebhookDeliveryPageResponse,
  WebhookDeliveryParams,
  WebhookDeliveryResponse,
  WebhookEndpointCreatedResponse,
  WebhookEndpointPageResponse,
  WebhookEndpointParams,
  WebhookEndpointResponse,
  WebhookPageQuery,
} from './webhooks.dto';

/** The calling client's webhook endpoints, their delivery logs and manual redelivery (docs/webhooks.md). */
@ApiTags('webhooks')
@Authenticated('client')
@Controller('v1/webhook-endpoints')
export class WebhooksController {
  constructor(private readonly webhooks: WebhookEndpointsService) {}

  @Post()
  @ApiOperation({ summary: 'Register a webhook endpoint; the answer holds its signing secret, shown only here' })
  @ApiCreatedResponse({ type: WebhookEndpointCreatedResponse })
  @ApiBadRequestResponse({ description: 'validation-failed, or webhook-url-not-allowed' })
  @ApiConflictResponse({ description: 'webhook-endpoint-limit-reached' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateWebhookEndpointDto): Promise<WebhookEndpointCreated> {
    return this.webhooks.create(principal.clientId, body);
  }

  @Get()
  @ApiOperation({ summary: 'Your webhook endpoints, oldest first, a page at a time' })
  @ApiOkResponse({ type: WebhookEndpointPageResponse })
  list(@CurrentPrincipal() principal: Principal, @Query() query: WebhookPageQuery): Promise<Page<WebhookEndpointView>> {
    return this.webhooks.list(principal.clientId, query.limit, query.cursor);
  }

  @Get(':endpoint_id')
  @ApiOperation({ summary: 'One of your webhook endpoints (without its secret)' })
  @ApiOkResponse({ type: WebhookEndpointResponse })
  @ApiNotFoundResponse({ description: 'no such endpoint of this client' })
  get(@CurrentPrincipal() principal: Principal, @Param() params: WebhookEndpointParams): Promise<WebhookEndpointView> {
    return this.webhooks.get(principal.clientId, params.endpoint_id);
  }

  @Delete(':endpoint_id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook endpoint: its pending deliveries stop and its delivery log goes with it' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiNotFoundResponse({ description: 'no such endpoint of this client' })
  async delete(@CurrentPrincipal() principal: Principal, @Param() params: WebhookEndpointParams): Promise<void> {
    await this.webhooks.delete(principal.clientId, params.endpoint_id);
  }

  @Get(':endpoint_id/deliveries')
  @ApiOperation({ summary: "The endpoint's delivery log, newest first, a page at a time" })
  @ApiOkResponse({ type: WebhookDeliveryPageResponse })
  @ApiNotFoundResponse({ description: 'no such endpoint of this client' })
  deliveries(@CurrentPrincipal() principal: Principal, @Param() params: WebhookEndpointParams, @Query() query: WebhookPageQuery): Promise<Page<WebhookDeliveryView>> {
    return this.webhooks.deliveries(principal.clientId, params.endpoint_id, query.limit, query.cursor);
  }

  @Post(':endpoint_id/deliveries/:delivery_id/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a delivery again now (same event id and body), whatever its status' })
  @ApiAcceptedResponse({ type: WebhookDeliveryResponse })
  @ApiNotFoundResponse({ description: 'no such endpoint of this client, or no such delivery of the endpoint' })
  redeliver(@CurrentPrincipal() principal: Principal, @Param() params: WebhookDeliveryParams): Promise<WebhookDeliveryView> {
    return this.webhooks.redeliver(principal.clientId, params.endpoint_id, params.delivery_id);
  }
}
