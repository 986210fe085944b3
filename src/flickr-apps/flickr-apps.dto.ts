import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Flickr's keys and secrets are hex; any printable ASCII without spaces is accepted (other Flickr-compatible services). */
const CREDENTIAL = /^[\x21-\x7e]{1,256}$/;

export class ClientIdParams {
  @ApiProperty({ example: 'acme-photos' })
  @Matches(CLIENT_ID, { message: 'client_id must be 1-128 characters A-Z a-z 0-9 . _ : -' })
  client_id!: string;
}

/** PUT /admin/clients/:client_id/flickr-app */
export class PutFlickrAppDto {
  @ApiProperty({ example: '0123456789abcdef0123456789abcdef', description: "the app's Flickr API key (OAuth consumer key)" })
  @Matches(CREDENTIAL, { message: 'consumer_key must be 1-256 printable characters without spaces' })
  consumer_key!: string;

  @ApiProperty({ example: '0123456789abcdef', description: "the app's Flickr secret; stored sealed, never answered" })
  @Matches(CREDENTIAL, { message: 'consumer_secret must be 1-256 printable characters without spaces' })
  consumer_secret!: string;

  @ApiPropertyOptional({ type: Number, default: 3500, nullable: true, description: 'upstream calls per hour for this app, all replicas together; null or absent: 3500' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  budget_per_hour?: number | null;
}

/** A client's own Flickr app as the admin API shows it: never the secret. */
export class FlickrAppResponse {
  @ApiProperty({ example: 'acme-photos' }) client_id!: string;
  @ApiProperty({ example: 'app_3f2a9c...', description: 'names the app in budgets and connections; derived from the consumer key' }) app_id!: string;
  @ApiProperty() consumer_key!: string;
  @ApiProperty({ example: 3500 }) budget_per_hour!: number;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;
}

export class FlickrAppSetResponse extends FlickrAppResponse {
  @ApiProperty({ description: "true when the consumer key changed (or the client was on the gateway's app): existing connections need re-authorisation" })
  switched!: boolean;
  @ApiProperty({ description: 'connected users of the client marked reauthorization_required by this change' }) reauthorization_required!: number;
}

export class FlickrAppRemovedResponse {
  @ApiProperty() client_id!: string;
  @ApiProperty({ enum: ['default'], description: "the client uses the gateway's app again" }) app_id!: string;
  @ApiProperty() reauthorization_required!: number;
}
