import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { BotLog } from '../boot/bot-log';

/**
 * Where a `response_url` may point. Slack gives one with every slash command and button
 * (`https://hooks.slack.com/commands/…`, `…/actions/…`; GovSlack `hooks.slack-gov.com`), and the
 * bot keeps a command's in a modal's `private_metadata` to answer the submission there — a
 * create modal's submission sends the new raw key to it. Slack signs both, but the URL is the
 * one place the bot would send a secret to an address taken from a payload, so every path
 * checks it the same way: `https:` on Slack's hooks host, or the origin the operator configured
 * as `SLACK_API_URL` (GovSlack, an enterprise proxy, the tests' stand-in on 127.0.0.1).
 * Anything else (another host, userinfo in the URL, a non-default port on Slack's host) is not
 * a response URL: the request is dropped (a middleware below) and a saved one falls back to the
 * person's DM.
 */
export const SLACK_HOOK_HOSTS: readonly string[] = ['hooks.slack.com', 'hooks.slack-gov.com'];

/** Returns the URL when it may receive a response, else undefined. */
export type ResponseUrlPolicy = (raw: unknown) => string | undefined;

export function responseUrlPolicy(slackApiUrl?: string): ResponseUrlPolicy {
  const configured = slackApiUrl ? parse(slackApiUrl)?.origin : undefined;
  return (raw) => {
    if (typeof raw !== 'string' || raw.length > 2048) return undefined;
    const url = parse(raw);
    if (!url || url.username || url.password) return undefined;
    if (url.protocol === 'https:' && url.port === '' && SLACK_HOOK_HOSTS.includes(url.hostname)) return raw;
    return configured !== undefined && url.origin === configured ? raw : undefined;
  };
}

/** Slack's hosts only: what a listener uses when no policy was configured. */
export const slackHooksOnly: ResponseUrlPolicy = responseUrlPolicy();

function parse(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/** Every response URL a Slack payload carries: a command's or a button's, and a modal's `response_urls`. */
export function payloadResponseUrls(body: unknown): unknown[] {
  if (!body || typeof body !== 'object') return [];
  const b = body as { response_url?: unknown; response_urls?: unknown };
  const urls: unknown[] = 'response_url' in b ? [b.response_url] : [];
  if (Array.isArray(b.response_urls)) for (const entry of b.response_urls) urls.push((entry as { response_url?: unknown } | null)?.response_url);
  return urls;
}

/**
 * A global Bolt middleware, before any listener (and before the replay guard claims anything):
 * a payload whose response URL the policy refuses is acked empty and goes no further, so no
 * listener, and no `respond` Bolt builds from the payload, ever posts to it.
 */
export function responseUrlGuard(policy: ResponseUrlPolicy, log: BotLog): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const refused = payloadResponseUrls(args.body).some((url) => policy(url) === undefined);
    if (!refused) {
      await args.next();
      return;
    }
    log.warn('slack payload with a response_url off Slack’s hosts; ignored', { kind: String((args.body as { type?: unknown }).type ?? 'command') });
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
  };
}
