/**
 * One Slack request, verified and acknowledged by the front door (front-door.ts) and handed to
 * the worker (worker.ts) to run: on Lambda as the payload of an asynchronous invocation of the
 * same function (`InvocationType: 'Event'`, lambda-self-invoke.ts), locally in-process. It holds
 * the request exactly as Slack sent it, so the worker sees what Bolt's own receivers would.
 *
 * A work item is never built from anything but a request whose signature the front door checked;
 * on Lambda only the function's own role may invoke it (lib/keywarden-bots.ts), and an API
 * Gateway event can never be mistaken for one (`isSlackWork` requires the marker and refuses
 * anything carrying `httpMethod`).
 */
export const SLACK_WORK_KIND = 'keywarden.slack.work';

export interface SlackWork {
  kind: typeof SLACK_WORK_KIND;
  v: 1;
  /** The request body, byte for byte as signed. */
  rawBody: string;
  contentType: string;
  /** `x-slack-signature`: what a replay is recognised by (replay-guard.ts). */
  signature?: string;
  /** Slack's retry headers of an Events API delivery. */
  retryNum?: number;
  retryReason?: string;
}

/** Largest body accepted for hand-off: Lambda's asynchronous payload limit is 256 KB. */
export const MAX_WORK_BYTES = 200 * 1024;

export function isSlackWork(event: unknown): event is SlackWork {
  if (!event || typeof event !== 'object' || 'httpMethod' in event || 'requestContext' in event) return false;
  const work = event as Partial<SlackWork>;
  return work.kind === SLACK_WORK_KIND && work.v === 1 && typeof work.rawBody === 'string' && typeof work.contentType === 'string';
}

/** How work gets from the front door to the worker: a Lambda self-invoke, or an in-process call. */
export type SlackDispatch = (work: SlackWork) => Promise<void>;

type Headers = Record<string, string | string[] | undefined> | null | undefined;

/** A header by case-insensitive name (API Gateway keeps the sender's case, node lower-cases). */
export function header(headers: Headers, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A Slack request body as Bolt's receivers parse it: form fields (a slash command), the JSON in a
 * form's `payload` field (buttons, modals), or JSON (Events API). Undefined when it is none.
 */
export function parseSlackBody(rawBody: string, contentType: string | undefined): Record<string, any> | undefined {
  try {
    if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(rawBody);
      const payload = form.get('payload');
      if (payload !== null) return asObject(JSON.parse(payload));
      return Object.fromEntries(form);
    }
    return asObject(JSON.parse(rawBody));
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Record<string, any> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, any>) : undefined;
}
