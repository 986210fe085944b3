import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../common/http/request-context';
import { Authenticated, CurrentPrincipal } from '../common/http/route-access';
import { ConnectSettingsClientParams, ConnectSettingsResponse, PutConnectSettingsDto } from './connect-settings.dto';
import { ConnectSettingsService, type ConnectSettingsView } from './connect-settings.service';

/** A client's hosted connect page settings (branding, return-URL allowlist); admin keys only. */
@ApiTags('admin')
@Authenticated('admin')
@Controller('admin/clients/:client_id/connect-settings')
export class ConnectSettingsAdminController {
  constructor(private readonly settings: ConnectSettingsService) {}

  @Put()
  @ApiOperation({ summary: "Set the client's connect page branding and return-URL allowlist (absent fields unchanged, null clears)" })
  @ApiOkResponse({ type: ConnectSettingsResponse })
  @ApiBadRequestResponse({ description: 'validation-failed: a field breaks the rules (docs/connect.md)' })
  put(@CurrentPrincipal() p: Principal, @Param() params: ConnectSettingsClientParams, @Body() body: PutConnectSettingsDto): Promise<ConnectSettingsView> {
    return this.settings.put(params.client_id, body, `admin-key:${p.keyId}`);
  }

  @Get()
  @ApiOperation({ summary: "The client's connect page settings (the defaults when never set)" })
  @ApiOkResponse({ type: ConnectSettingsResponse })
  get(@Param() params: ConnectSettingsClientParams): Promise<ConnectSettingsView> {
    return this.settings.get(params.client_id);
  }
}
