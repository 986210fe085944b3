import { Schema } from 'mongoose';

export const USER_MODEL = 'User';

/** Collection `users`: which client owns each user_id. The OAuth issue adds the Flickr account fields. */
export interface UserRecord {
  user_id: string;
  client_id: string;
  created_at: Date;
}

export const UserSchema = new Schema<UserRecord>(
  {
    user_id: { type: String, required: true, unique: true },
    client_id: { type: String, required: true, index: true },
    created_at: { type: Date, required: true },
  },
  { collection: 'users', versionKey: false },
);
