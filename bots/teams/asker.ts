import type { Activity } from 'botbuilder';
import { identityOf } from './activity';

/**
 * The identity a turn acts as. Teams always sends the tenant and the user's AAD object id; a
 * client that does not (the Emulator) gets an identity no operator registers as an admin, so it
 * can read and chat but never change a key.
 */
export const UNIDENTIFIED = 'teams:unidentified:unidentified';

export function askerOf(activity: Partial<Activity>): string {
  return identityOf(activity) ?? UNIDENTIFIED;
}

/** How a person is named in channel text: their display name, never their raw ids. */
export function displayName(activity: Partial<Activity>, fallback = 'you'): string {
  return activity.from?.name?.trim() || fallback;
}
