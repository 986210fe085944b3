import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** An API key as the admin API shows it: never a secret. */
export class ApiKeyResponse {
  @ApiProperty({ example: 'abcdefgh2345' }) key_id!: string;
  @ApiProperty({ example: 'acme-photos' }) client_id!: string;
  @ApiProperty({ enum: ['client', 'admin'] }) role!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['active', 'revoked'] }) status!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expires_at!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'requests per minute' }) rate_limit_override!: number | null;
  @ApiProperty({ type: [String] }) ip_allowlist!: string[];
  @ApiProperty() queue_weight!: number;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) rotated_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revoked_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) previous_secret_valid_until!: string | null;
}

/** A key with its secrets: answered once, at creation or rotation. */
export class IssuedApiKeyResponse extends ApiKeyResponse {
  @ApiProperty({ description: 'fgw_<id>_<secret>, for X-API-Key' }) api_key!: string;
  @ApiProperty({ description: 'fgws_<secret>, for HMAC request signing' }) signing_secret!: string;
}

export class ApiKeyPageResponse {
  @ApiProperty({ type: [ApiKeyResponse] }) items!: ApiKeyResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as ?cursor= for the next page; null on the last' }) next_cursor!: string | null;
}

/** One audited API call. */
export class AuditRecordResponse {
  @ApiProperty({ description: "opaque record id; the previous page's last id is the next page's `cursor`" }) id!: string;
  @ApiProperty({ type: String, format: 'date-time' }) at!: string;
  @ApiProperty({ type: String, nullable: true }) key_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) client_id!: string | null;
  @ApiProperty() source_ip!: string;
  @ApiProperty() method!: string;
  @ApiProperty({ description: 'route template, e.g. /v1/users/:user_id' }) route!: string;
  @ApiProperty({ type: String, nullable: true }) user_id!: string | null;
  @ApiProperty() status!: number;
  @ApiProperty() latency_ms!: number;
  @ApiProperty() request_id!: string;
}

export class AuditPageResponse {
  @ApiProperty({ type: [AuditRecordResponse] }) items!: AuditRecordResponse[];
  @ApiPropertyOptional({ type: String, nullable: true, description: 'pass as `cursor` for the next page; null on the last' }) next_cursor!: string | null;
}
