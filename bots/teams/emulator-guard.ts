import { ActivityTypes, type Activity, type TurnContext } from 'botbuilder';
import { ADMIN_COMMANDS, commandWord } from '../core';
import { mentionsBot, messageText } from './activity';
import type { TurnLogic } from './turn-logic';
import { VERB } from './cards/verbs';
import { textActivity } from './render-reply';
import { isLoopbackHost } from '../../lambdas/local/local-door';

export { isLoopbackHost };

/**
 * The one rule for Bot Framework Emulator mode (no TEAMS_APP_ID, so no JWT and nothing in an
 * activity is vouched for): anyone who reaches the port can claim any identity, an admin's
 * included, and choose the `serviceUrl` the bot answers to — a new key would go wherever they
 * like. So admin actions (create, rotate, revoke, delete, pause, resume, limit: commands and card buttons) run in
 * Emulator mode only when all three hold:
 *
 *   1. the local server is bound to a loopback host (HOST 127.0.0.1, ::1 or localhost);
 *   2. the request came from a loopback address, not through a proxy or tunnel (no forwarding
 *      headers: a tunnel on this machine connects from loopback too);
 *   3. the activity's `serviceUrl` is a loopback URL (the Emulator's own).
 *
 * Anything else gets a plain refusal and nothing is issued or changed; reading and chatting go on.
 * An activity whose serviceUrl is not loopback is not processed at all (403): the bot would
 * otherwise post its answers to any URL an unauthenticated sender names.
 * With an app id the adapter verifies the JWT and this rule does not apply.
 */
export const EMULATOR_ADMIN_REFUSAL =
  'Admin actions (create, rotate, revoke, delete, pause, resume, limit) are turned off here: this bot runs in Bot Framework Emulator mode ' +
  '(no TEAMS_APP_ID, so no authentication), which allows them only from this machine — server bound to 127.0.0.1, ' +
  'request from 127.0.0.1, and a loopback serviceUrl. Configure TEAMS_APP_ID and TEAMS_APP_PASSWORD to use them over a network.';

/** Emulator mode answers nobody off this machine: the activity's serviceUrl must be loopback. */
export const EMULATOR_SERVICE_URL_REFUSAL =
  'Bot Framework Emulator mode (no TEAMS_APP_ID) answers only a loopback serviceUrl. Configure TEAMS_APP_ID and TEAMS_APP_PASSWORD for Teams.';

/** Where one HTTP request came from, as the door that received it saw it. */
export interface RequestOrigin {
  /** The peer address of the connection (`req.socket.remoteAddress`). */
  remoteAddress?: string;
  /** True when the request carries proxy forwarding headers. */
  forwarded: boolean;
}

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'cf-connecting-ip', 'true-client-ip'];

export function requestOrigin(remoteAddress: string | undefined, headers: Record<string, string | string[] | undefined>): RequestOrigin {
  const names = Object.keys(headers).map((h) => h.toLowerCase());
  return { ...(remoteAddress ? { remoteAddress } : {}), forwarded: FORWARDING_HEADERS.some((h) => names.includes(h)) };
}

export function isLoopbackUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && isLoopbackHost(parsed.hostname);
  } catch {
    return false;
  }
}

/** Does this Emulator-mode request come from this machine, in all three respects? */
export function emulatorRequestIsLocal(bindHost: string | undefined, origin: RequestOrigin | undefined, serviceUrl: string | undefined): boolean {
  return isLoopbackHost(bindHost) && !!origin && !origin.forwarded && isLoopbackHost(origin.remoteAddress) && isLoopbackUrl(serviceUrl);
}

/** Would the turn logic run an admin action for this activity? (Its own routing, see bot.ts.) */
function asksForAdminAction(context: TurnContext): boolean {
  const activity = context.activity as Partial<Activity>;
  const adminVerb = (verb: unknown) => verb === VERB.confirm || verb === VERB.create;
  if (activity.type === ActivityTypes.Invoke) {
    return adminVerb((activity.value as { action?: { verb?: unknown } } | undefined)?.action?.verb);
  }
  if (activity.type !== ActivityTypes.Message) return false;
  const submitted = activity.value as { verb?: unknown } | undefined;
  if (submitted && typeof submitted === 'object' && adminVerb(submitted.verb)) return true;
  if (!mentionsBot(activity)) return false;
  const word = commandWord(messageText(context));
  return word !== undefined && (ADMIN_COMMANDS as readonly string[]).includes(word);
}

/** The turn logic for one Emulator-mode request: unchanged when it is local, else without admin actions. */
export function guardEmulatorTurn(logic: TurnLogic, local: boolean): TurnLogic {
  if (local) return logic;
  return async (context) => {
    if (!asksForAdminAction(context)) return logic(context);
    if (context.activity.type === ActivityTypes.Invoke) {
      await context.sendActivity({
        type: ActivityTypes.InvokeResponse,
        value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: EMULATOR_ADMIN_REFUSAL } },
      });
      return;
    }
    await context.sendActivity(textActivity(EMULATOR_ADMIN_REFUSAL));
  };
}
