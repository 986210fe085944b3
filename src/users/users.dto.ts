import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../common/pagination/page.query';

/** The connection states a client sees: a user without a connection is `not_connected`. */
export const USER_LIST_STATES = ['connected', 'not_connected', 'reauthorization_required'] as const;
export type UserListState = (typeof USER_LIST_STATES)[number];

export class FlickrConnectionResponse {
  @ApiProperty({ enum: USER_LIST_STATES }) state!: string;
  @ApiPropertyOptional({ example: '12345678@N00' }) nsid?: string;
  @ApiPropertyOptional() username?: string;
  @ApiPropertyOptional() fullname?: string;
  @ApiPropertyOptional({ enum: ['read', 'write', 'delete'] }) perms?: string;
  @ApiPropertyOptional() connected_at?: Date;
  @ApiPropertyOptional() changed_at?: Date;
}

export class UserResponse {
  @ApiProperty() user_id!: string;
  @ApiProperty() created_at!: Date;
  @ApiProperty({ type: FlickrConnectionResponse, description: 'the Flickr connection state; never a token or secret' })
  flickr!: FlickrConnectionResponse;
}

/** Query parameters of GET /v1/users. */
export class UsersListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: USER_LIST_STATES, description: 'only users whose Flickr connection is in this state' })
  @IsOptional()
  @IsIn(USER_LIST_STATES, { message: `state must be one of ${USER_LIST_STATES.join(', ')}` })
  state?: UserListState;
}

export class UserPageResponse {
  @ApiProperty({ type: [UserResponse], description: 'oldest first (created_at, then user_id)' }) items!: UserResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as ?cursor= for the next page; null on the last' }) next_cursor!: string | null;
}
