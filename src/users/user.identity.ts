/**
 * A user is always scoped to the client that registered it: the same `user_id`
 * under two clients is two unrelated users. Every record, cache key and limit
 * that belongs to a user names the pair, never the bare `user_id`.
 */
export interface ScopedUser {
  clientId: string;
  userId: string;
}

/**
 * The scoped user's key: `<client_id>/<user_id>`. Neither id may contain `/`
 * (both match `[A-Za-z0-9._:-]`), so the key is unambiguous both ways. It is
 * the `_id` of the user's record, the `user_id` of its token record (and the
 * token envelope's record context), and the user part of its Redis keys.
 */
export function scopedUserKey(user: ScopedUser): string {
  return `${user.clientId}/${user.userId}`;
}

/** Splits a key made by scopedUserKey; undefined for anything else (e.g. a legacy bare user_id). */
export function parseScopedUserKey(key: string): ScopedUser | undefined {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1 || key.indexOf('/', slash + 1) !== -1) return undefined;
  return { clientId: key.slice(0, slash), userId: key.slice(slash + 1) };
}
