import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination/page.query';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook.events';
import { MAX_WEBHOOK_URL_LENGTH } from './webhook-url.policy';

const DELIVERY_STATUSES = ['pending', 'failed', 'succeeded', 'dead'];

export class CreateWebhookEndpointDto {
  @ApiProperty({ example: 'https://app.example.com/hooks/flickr', description: 'https (plain http only outside production); no credentials; in production it must resolve to public addresses only' })
  @IsString()
  @MaxLength(MAX_WEBHOOK_URL_LENGTH)
  url!: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES, isArray: true, description: 'the event types to receive; omitted: all of them' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: `each event must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` })
  events?: WebhookEventType[];

  @ApiPropertyOptional({ example: 'production receiver', description: 'free text for you, up to 256 characters' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  description?: string;
}

export class WebhookEndpointParams {
  @ApiProperty({ example: 'we_0123456789abcdef01234567' })
  @Matches(/^we_[0-9a-f]{24}$/, { message: 'endpoint_id is malformed' })
  endpoint_id!: string;
}

export class WebhookDeliveryParams extends WebhookEndpointParams {
  @ApiProperty({ example: 'wd_0123456789abcdef01234567' })
  @Matches(/^wd_[0-9a-f]{24}$/, { message: 'delivery_id is malformed' })
  delivery_id!: string;
}

/** Query of GET /v1/webhook-endpoints and of the delivery log. */
export class WebhookPageQuery extends PageQuery {}

export class WebhookEndpointResponse {
  @ApiProperty({ example: 'we_0123456789abcdef01234567' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true }) events!: string[];
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty() created_at!: Date;
}

export class WebhookEndpointCreatedResponse extends WebhookEndpointResponse {
  @ApiProperty({ example: 'whsec_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', description: 'the signing secret, shown only in this answer; store it' })
  secret!: string;
}

export class WebhookEndpointPageResponse {
  @ApiProperty({ type: [WebhookEndpointResponse], description: 'oldest first' }) items!: WebhookEndpointResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as ?cursor= for the next page; null on the last' }) next_cursor!: string | null;
}

export class WebhookDeliveryResponse {
  @ApiProperty({ example: 'wd_0123456789abcdef01234567' }) id!: string;
  @ApiProperty({ example: 'evt_0123456789abcdef0123456789abcdef' }) event_id!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) event_type!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, description: 'pending: not attempted yet (or redelivery asked); failed: last attempt failed, next at next_attempt_at; succeeded; dead: given up' })
  status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: Date, nullable: true }) last_attempt_at!: Date | null;
  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status of the last answer; null when there was none' }) last_status_code!: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'HTTP 500' }) last_error!: string | null;
  @ApiProperty({ type: Date, nullable: true }) next_attempt_at!: Date | null;
  @ApiProperty() created_at!: Date;
}

export class WebhookDeliveryPageResponse {
  @ApiProperty({ type: [WebhookDeliveryResponse], description: 'newest first' }) items!: WebhookDeliveryResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as ?cursor= for the next page; null on the last' }) next_cursor!: string | null;
}
