import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { MAX_RETURN_URL_ORIGINS } from './connect-url.rules';

export class ConnectSettingsClientParams {
  @ApiProperty({ example: 'acme-photos' })
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'client_id must be 1-128 characters A-Z a-z 0-9 . _ : -' })
  client_id!: string;
}

/**
 * PUT /admin/clients/:client_id/connect-settings. Shape only here; the URL and text rules (https,
 * origins only, localhost outside production, plain text) are the service's (they depend on NODE_ENV).
 */
export class PutConnectSettingsDto {
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Acme Photos', description: 'plain text, 1-80 characters, shown as the application\'s name; null: back to the client id; absent: unchanged' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(400)
  display_name?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://static.acme.example/logo.png', description: 'https image URL shown on the page (http only for localhost outside production); null: no logo; absent: unchanged' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(2048)
  logo_url?: string | null;

  @ApiPropertyOptional({
    type: [String],
    example: ['https://app.acme.example'],
    description: `origins (scheme://host[:port]) a connect session's return_url may point at, at most ${MAX_RETURN_URL_ORIGINS}; https (http only for localhost outside production); [] allows none; absent: unchanged`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_RETURN_URL_ORIGINS)
  @IsString({ each: true })
  @MaxLength(300, { each: true })
  return_url_origins?: string[];
}

export class ConnectSettingsResponse {
  @ApiProperty({ example: 'acme-photos' }) client_id!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Acme Photos', description: 'null: the page names the application by its client id' }) display_name!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'https://static.acme.example/logo.png' }) logo_url!: string | null;
  @ApiProperty({ type: [String], example: ['https://app.acme.example'], description: 'normalised origins; [] (the default): no return_url accepted' }) return_url_origins!: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: never set (the defaults)' }) updated_at!: string | null;
}
