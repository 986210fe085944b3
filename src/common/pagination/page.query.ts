import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/** Largest `limit` a list endpoint accepts. */
export const MAX_PAGE_LIMIT = 500;

/** The query parameters every cursor-paginated list takes; a list's query class extends it with its filters. */
export class PageQuery {
  @ApiPropertyOptional({ description: 'next_cursor of the previous page (opaque); omit for the first page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,600}$/, { message: 'cursor must be a next_cursor this API returned' })
  cursor?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: MAX_PAGE_LIMIT, description: 'items per page' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_LIMIT)
  limit: number = 50;
}
