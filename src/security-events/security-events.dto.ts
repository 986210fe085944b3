import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** An action name, or a prefix of them ending in `.*`. */
const ACTION = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?$/;
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const KEY_ID = /^[a-z2-7]{12}$/;

/** Query parameters of GET /admin/security-events. */
export class SecurityEventsQuery {
  @ApiPropertyOptional({
    description: 'event type: an exact action (auth.key.rotated) or every action under a prefix (auth.key.*)',
    example: 'auth.key.*',
  })
  @IsOptional()
  @MaxLength(100)
  @Matches(ACTION, { message: 'action must be an action name such as auth.key.rotated, or a prefix such as auth.key.*' })
  action?: string;

  @ApiPropertyOptional({ description: 'events about this API key', example: 'abcdefgh2345' })
  @IsOptional()
  @Matches(KEY_ID, { message: 'key_id must be 12 characters a-z 2-7' })
  key_id?: string;

  @ApiPropertyOptional({ description: 'events about this client (its keys and users)', example: 'acme-photos' })
  @IsOptional()
  @Matches(CLIENT_ID)
  client_id?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'events at or after this instant' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'events before this instant' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  cursor?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit = 50;
}

/** One security event. */
export class SecurityEventResponse {
  @ApiProperty({ example: '6650c0ffee0123456789abcd' }) id!: string;
  @ApiProperty({ type: String, format: 'date-time' }) at!: string;
  @ApiProperty({ example: 'auth.key.rotated' }) action!: string;
  @ApiProperty({ example: 'admin-key:adminkey2345', description: 'who caused it: admin-key:<key_id>, cli, schedule, ...' }) actor!: string;
  @ApiProperty({ example: 'abcdefgh2345', description: 'what it acted on: a key id, <client_id>/<user_id>, a transit key name, ...' })
  target!: string;
  @ApiProperty({ type: String, nullable: true, description: 'the API key the event is about, if any' }) key_id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'the client the event is about, if known' }) client_id!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'event-specific; never secrets' }) details!: Record<string, unknown>;
}

export class SecurityEventPageResponse {
  @ApiProperty({ type: [SecurityEventResponse] }) items!: SecurityEventResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as ?cursor= for the next page; null on the last' }) next_cursor!: string | null;
}

/** The service filter for a validated query. */
export function securityEventFilter(q: SecurityEventsQuery) {
  const action = q.action === undefined ? undefined : q.action.endsWith('.*') ? { prefix: q.action.slice(0, -1) } : { exact: q.action };
  return { action, key_id: q.key_id, client_id: q.client_id, from: q.from, to: q.to };
}
