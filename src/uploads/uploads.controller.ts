import { Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiConsumes, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse, ApiRequestTimeoutResponse, ApiServiceUnavailableResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnprocessableEntityResponse, ApiUnsupportedMediaTypeResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Authenticated, CurrentPrincipal } from '../common/http/route-access';
import type { Principal } from '../common/http/request-context';
import type { Page } from '../common/pagination/cursor';
import { Consumes } from '../common/http/content-type.guard';
import { RateLimitClassOf } from '../rate-limit/rate-limit.decorators';
import { UserParams } from '../users/users.controller';
import { JobIdParams, ReplaceFormDoc, ReplaceParams, UploadAcceptedView, UploadFormDoc, UploadJobView } from './uploads.dto';
import { UploadListService } from './upload-list.service';
import { UploadJobPageResponse, UploadsListQuery } from './uploads-list.dto';
import { UploadsService } from './uploads.service';

/** Uploads through the job queue (docs/queue.md). */
@ApiTags('uploads')
@Authenticated('client')
@Controller('v1')
export class UploadsController {
  constructor(
    private readonly uploads: UploadsService,
    private readonly lists: UploadListService,
  ) {}

  @Post('users/:user_id/uploads')
  @HttpCode(202)
  @Consumes('multipart/form-data')
  @RateLimitClassOf('upload')
  @ApiOperation({ summary: 'Queue a photo or video upload to the user\'s Flickr account' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadFormDoc })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'same key from the same client within 24 h: the first answer, no second job' })
  @ApiAcceptedResponse({ type: UploadAcceptedView })
  @ApiNotFoundResponse({ description: 'no such user of this client' })
  @ApiUnprocessableEntityResponse({ description: 'idempotency-key-mismatch: the Idempotency-Key was used for a different request' })
  @ApiRequestTimeoutResponse({ description: 'upload-too-slow: the body paused or arrived below the minimum rate' })
  @ApiPayloadTooLargeResponse({ description: 'file larger than UPLOADS_MAX_FILE_BYTES (detected while streaming; nothing is kept)' })
  @ApiUnsupportedMediaTypeResponse({ description: 'not multipart/form-data, or a file type outside UPLOADS_MEDIA_TYPES' })
  @ApiTooManyRequestsResponse({ description: 'upload-queue-full (this client has UPLOADS_MAX_PENDING_PER_CLIENT unfinished jobs) or a rate limit; Retry-After' })
  @ApiServiceUnavailableResponse({ description: 'upload-buffer-full: the whole queue is at UPLOADS_MAX_PENDING_TOTAL; Retry-After' })
  @ApiConflictResponse({ description: 'idempotency-in-progress' })
  create(
    @CurrentPrincipal() principal: Principal,
    @Param() params: UserParams,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: FastifyRequest,
  ): Promise<UploadAcceptedView> {
    return this.uploads.accept(principal, params.user_id, idempotencyKey, req.raw);
  }

  @Post('users/:user_id/photos/:photo_id/replace')
  @HttpCode(202)
  @Consumes('multipart/form-data')
  // The same quota, caps, lanes and idempotency as uploads: a replacement is an upload of new bytes.
  @RateLimitClassOf('upload')
  @ApiOperation({ summary: 'Queue a replacement of the bytes of one of the user\'s Flickr photos (its id, title, tags and the rest stay)' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: ReplaceFormDoc })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'same key from the same client within 24 h: the first answer, no second job' })
  @ApiAcceptedResponse({ type: UploadAcceptedView, description: 'queued; a photo the user does not own on Flickr fails the job (GET /v1/uploads/:job_id gives the reason)' })
  @ApiBadRequestResponse({ description: 'photo_id is not a Flickr photo id (digits), or the form is invalid' })
  @ApiNotFoundResponse({ description: 'no such user of this client' })
  @ApiUnprocessableEntityResponse({ description: 'idempotency-key-mismatch: the Idempotency-Key was used for a different request (another photo, or an upload)' })
  @ApiRequestTimeoutResponse({ description: 'upload-too-slow' })
  @ApiPayloadTooLargeResponse({ description: 'file larger than UPLOADS_MAX_FILE_BYTES' })
  @ApiUnsupportedMediaTypeResponse({ description: 'not multipart/form-data, or a file type outside UPLOADS_MEDIA_TYPES' })
  @ApiTooManyRequestsResponse({ description: 'upload-queue-full or a rate limit; Retry-After' })
  @ApiServiceUnavailableResponse({ description: 'upload-buffer-full; Retry-After' })
  @ApiConflictResponse({ description: 'idempotency-in-progress' })
  replace(
    @CurrentPrincipal() principal: Principal,
    @Param() params: ReplaceParams,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: FastifyRequest,
  ): Promise<UploadAcceptedView> {
    return this.uploads.accept(principal, params.user_id, idempotencyKey, req.raw, { kind: 'replace', photoId: params.photo_id });
  }

  @Get('uploads')
  @ApiOperation({ summary: 'The calling client\'s upload and replace jobs, oldest first, a page at a time; filters: user_id, status, from/to (created_at)' })
  @ApiOkResponse({ type: UploadJobPageResponse })
  @ApiBadRequestResponse({ description: 'validation-failed problem: malformed filter, time range (from not before to), limit outside 1-500, or a cursor this API did not return' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: UploadsListQuery): Promise<Page<UploadJobView>> {
    const { user_id, status, from, to } = query;
    return this.lists.page(principal.clientId, { user_id, status, from, to }, query.limit, query.cursor);
  }

  @Get('uploads/:job_id')
  @ApiOperation({ summary: 'State of an upload or replace job (owner only)' })
  @ApiOkResponse({ type: UploadJobView })
  @ApiNotFoundResponse({ description: 'unknown job, or another client\'s (same answer)' })
  get(@CurrentPrincipal() principal: Principal, @Param() params: JobIdParams): Promise<UploadJobView> {
    return this.uploads.get(principal, params.job_id);
  }

  @Delete('uploads/:job_id')
  @ApiOperation({ summary: 'Cancel an upload that has not started' })
  @ApiOkResponse({ type: UploadJobView })
  @ApiConflictResponse({ description: 'upload-not-cancellable: a worker has started it, or it has ended' })
  cancel(@CurrentPrincipal() principal: Principal, @Param() params: JobIdParams): Promise<UploadJobView> {
    return this.uploads.cancel(principal, params.job_id);
  }
}
