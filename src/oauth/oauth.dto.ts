import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUrl, Matches } from 'class-validator';

const USER_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const REQUEST_TOKEN = /^[A-Za-z0-9._~-]{1,200}$/;

export class OAuthStartDto {
  @ApiProperty({ example: 'user-42' })
  @Matches(USER_ID, { message: 'user_id must be 1-128 of A-Z a-z 0-9 . _ : -' })
  user_id!: string;

  @ApiProperty({ enum: ['oob', 'callback'], description: 'oob: the user copies a PIN from Flickr; callback: Flickr redirects to this gateway (needs OAUTH_CALLBACK_ENABLED)' })
  @IsIn(['oob', 'callback'])
  mode!: 'oob' | 'callback';

  @ApiProperty({ enum: ['read', 'write', 'delete'] })
  @IsIn(['read', 'write', 'delete'])
  perms!: 'read' | 'write' | 'delete';

  @ApiPropertyOptional({
    example: 'https://app.example.com/flickr-connected',
    description: 'callback mode (required there): the page of your app the browser returns to; it completes the connection with POST /v1/oauth/complete',
  })
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true, require_tld: false }, { message: 'return_url must be an http(s) URL' })
  return_url?: string;
}

export class OAuthVerifyDto {
  @ApiProperty({ example: 'user-42' })
  @Matches(USER_ID, { message: 'user_id must be 1-128 of A-Z a-z 0-9 . _ : -' })
  user_id!: string;

  @ApiProperty({ description: 'the oauth_token returned by /v1/oauth/start' })
  @Matches(REQUEST_TOKEN, { message: 'oauth_token is malformed' })
  oauth_token!: string;

  @ApiProperty({ example: '123-456-789', description: 'the PIN Flickr showed the user' })
  @Matches(/^[0-9]{3}-?[0-9]{3}-?[0-9]{3}$/, { message: 'verifier must be the 9-digit PIN, e.g. 123-456-789' })
  verifier!: string;
}

export class OAuthCompleteDto {
  @ApiProperty({ example: 'user-42' })
  @Matches(USER_ID, { message: 'user_id must be 1-128 of A-Z a-z 0-9 . _ : -' })
  user_id!: string;

  @ApiProperty({ description: 'the oauth_token returned by /v1/oauth/start (also on the return URL)' })
  @Matches(REQUEST_TOKEN, { message: 'oauth_token is malformed' })
  oauth_token!: string;

  @ApiProperty({ description: 'the one-time state returned by /v1/oauth/start, kept in the end user\'s session' })
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'state is malformed' })
  state!: string;
}

export class OAuthCallbackQuery {
  @ApiProperty()
  @Matches(REQUEST_TOKEN, { message: 'oauth_token is malformed' })
  oauth_token!: string;

  @ApiProperty()
  @Matches(/^[A-Za-z0-9._~-]{1,200}$/, { message: 'oauth_verifier is malformed' })
  oauth_verifier!: string;
}

export class OAuthStartedResponse {
  @ApiProperty() user_id!: string;
  @ApiProperty({ enum: ['oob', 'callback'] }) mode!: string;
  @ApiProperty({ enum: ['read', 'write', 'delete'] }) perms!: string;
  @ApiProperty({ description: 'the request token; send it back to /v1/oauth/verify (oob)' }) oauth_token!: string;
  @ApiProperty({ example: 'https://www.flickr.com/services/oauth/authorize?oauth_token=...&perms=write' }) authorize_url!: string;
  @ApiPropertyOptional({ description: 'callback mode: one-time secret; keep it in the end user\'s session, present it to POST /v1/oauth/complete' })
  state?: string;
  @ApiProperty() expires_at!: Date;
}

export class OAuthConnectedResponse {
  @ApiProperty() user_id!: string;
  @ApiProperty({ enum: ['connected'] }) status!: string;
  @ApiProperty({ example: '12345678@N00' }) nsid!: string;
  @ApiProperty() username!: string;
}

export class OAuthApprovedResponse {
  @ApiProperty() user_id!: string;
  @ApiProperty({ enum: ['approved'] }) status!: string;
  @ApiProperty() oauth_token!: string;
  @ApiProperty() return_url!: string;
}
