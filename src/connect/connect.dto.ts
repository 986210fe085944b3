import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { CONNECT_MAX_TTL_S } from './connect.service';

export class CreateConnectSessionDto {
  @ApiProperty({ example: 'user-42', description: 'your user (registered if new)' })
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'user_id must be 1-128 of A-Z a-z 0-9 . _ : -' })
  user_id!: string;

  @ApiProperty({ enum: ['read', 'write', 'delete'] })
  @IsIn(['read', 'write', 'delete'])
  perms!: 'read' | 'write' | 'delete';

  @ApiPropertyOptional({ enum: ['oob', 'callback'], default: 'oob', description: 'oob: the page asks for the PIN Flickr shows; callback: Flickr sends the browser back (needs OAUTH_CALLBACK_ENABLED)' })
  @IsOptional()
  @IsIn(['oob', 'callback'])
  mode?: 'oob' | 'callback';

  @ApiPropertyOptional({ example: 'https://app.example.com/flickr-done', description: 'where the page sends the browser at the end, with status=connected|failed&user_id=...; its origin must be on the allowlist' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  return_url?: string;

  @ApiPropertyOptional({ example: 900, default: 900, description: `lifetime of the link in seconds (60-${CONNECT_MAX_TTL_S})` })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(CONNECT_MAX_TTL_S)
  expires_in?: number;
}

export class ConnectSessionIdParam {
  @ApiProperty()
  @Matches(/^cs_[0-9a-f]{32}$/, { message: 'session id is malformed' })
  id!: string;
}

export class ConnectSessionCreatedResponse {
  @ApiProperty({ example: 'cs_0123456789abcdef0123456789abcdef' }) session_id!: string;
  @ApiProperty({ description: 'one-time link for the end user\'s browser (it carries the session\'s secret: send it only to that user)' }) connect_url!: string;
  @ApiProperty() expires_at!: Date;
}

export class ConnectSessionResponse {
  @ApiProperty() session_id!: string;
  @ApiProperty() user_id!: string;
  @ApiProperty({ enum: ['read', 'write', 'delete'] }) perms!: string;
  @ApiProperty({ enum: ['oob', 'callback'] }) mode!: string;
  @ApiProperty({ enum: ['open', 'started', 'connected', 'failed'], description: 'failed also when it expired unfinished' }) status!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) return_url!: string | null;
  @ApiProperty() expires_at!: Date;
}
