import { isValidSlackRequest } from '@slack/bolt';
import { errorLabel, type BotLog } from '../../boot/bot-log';
import { BUDGET_MODAL_CALLBACK, CREATE_MODAL_CALLBACK, DENY_MODAL_CALLBACK } from '../blocks/action-ids';
import { denyModalErrors } from '../blocks/key-request-blocks';
import { budgetModalErrors } from '../blocks/budget-alert-blocks';
import { outboundMessage } from '../blocks/reply-message';
import { createModalErrors } from '../listeners/views/create-modal-submission';
import { isAheadOfClock } from '../replay-guard';
import { header, MAX_WORK_BYTES, parseSlackBody, SLACK_WORK_KIND, type SlackDispatch, type SlackWork } from './slack-work';

/** What the front door answers Slack: status, optional JSON body. */
export interface FrontDoorReply {
  status: number;
  body?: unknown;
}

export interface FrontDoorRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
}

/** The dispatcher could not take the work (the Lambda API refused, or the bot is not configured yet). */
export class SlackWorkRefused extends Error {
  override name = 'SlackWorkRefused';
  constructor(
    message: string,
    /** What Slack's user may be told (no internals). */
    readonly publicReason: string,
  ) {
    super(message);
  }
}

export interface FrontDoorOptions {
  /** Read per request, so a rotated signing secret is used as soon as the secrets cache has it. */
  signingSecret: () => Promise<string> | string;
  dispatch: SlackDispatch;
  log: BotLog;
  now?: () => number;
}

/**
 * Ack first, work after (issue 12). Slack wants every request answered within 3 seconds; a cold
 * Lambda that reads its secrets and calls /v1 a few times through API Gateway cannot promise
 * that, and Bolt's AwsLambdaReceiver answers only after the listener returns. So the Slack edge
 * has two halves:
 *
 *   front door (this)  checks the request (timestamp not ahead of the clock, v0 signature, not
 *                      older than 5 minutes — the same checks as Bolt's receivers, with Bolt's own
 *                      `isValidSlackRequest`), answers what must be answered in the ack, hands
 *                      everything else to the worker, and acks with 200 at once;
 *   worker (worker.ts) runs the Bolt app on the request: the replay guard claims it, listeners
 *                      answer through response_url and the Web API.
 *
 * Answered here, in the ack, and never handed on:
 *   - `url_verification` (needs only the signing secret: Slack's Request URL can be verified
 *     while the app is still being set up and has no bot token yet), and `ssl_check`;
 *   - a create-modal or budget-form submission whose fields are wrong: only the ack can show errors in the modal.
 * A request that fails the checks gets 401 and nothing else happens.
 */
export function createSlackFrontDoor(options: FrontDoorOptions): (request: FrontDoorRequest) => Promise<FrontDoorReply> {
  const now = options.now ?? Date.now;
  return async ({ headers, rawBody }) => {
    const contentType = header(headers, 'content-type') ?? '';
    // Slack's connectivity probe: unsigned by design, and nothing in it is acted on.
    if (contentType.startsWith('application/x-www-form-urlencoded') && new URLSearchParams(rawBody).get('ssl_check') === '1') return { status: 200 };
    if (isAheadOfClock(headers, now())) return { status: 401 };
    const signature = header(headers, 'x-slack-signature');
    const timestamp = Number(header(headers, 'x-slack-request-timestamp'));
    let signingSecret: string;
    try {
      signingSecret = await options.signingSecret();
    } catch (err) {
      options.log.error('slack signing secret unavailable', { code: errorLabel(err) });
      return { status: 503, body: unavailable('The Slack signing secret could not be read.') };
    }
    const signed =
      signature !== undefined &&
      Number.isFinite(timestamp) &&
      isValidSlackRequest({ signingSecret, body: rawBody, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp }, nowMilliseconds: now() });
    if (!signed) return { status: 401 };

    const body = parseSlackBody(rawBody, contentType);
    if (!body) return { status: 400 };
    if (body.type === 'url_verification') return { status: 200, body: { challenge: String(body.challenge ?? '') } };
    if (body.type === 'view_submission' && body.view?.callback_id === CREATE_MODAL_CALLBACK) {
      const errors = createModalErrors(body.view?.state?.values);
      if (errors) return { status: 200, body: errors };
    }
    if (body.type === 'view_submission' && body.view?.callback_id === BUDGET_MODAL_CALLBACK) {
      const errors = budgetModalErrors(body.view?.state?.values);
      if (errors) return { status: 200, body: errors };
    }
    if (body.type === 'view_submission' && body.view?.callback_id === DENY_MODAL_CALLBACK) {
      const errors = denyModalErrors(body.view?.state?.values);
      if (errors) return { status: 200, body: errors };
    }
    if (Buffer.byteLength(rawBody) > MAX_WORK_BYTES) return { status: 413 };

    const retryNum = Number(header(headers, 'x-slack-retry-num'));
    const retryReason = header(headers, 'x-slack-retry-reason');
    const work: SlackWork = {
      kind: SLACK_WORK_KIND,
      v: 1,
      rawBody,
      contentType,
      ...(signature ? { signature } : {}),
      ...(Number.isInteger(retryNum) ? { retryNum } : {}),
      ...(retryReason ? { retryReason } : {}),
    };
    try {
      await options.dispatch(work);
    } catch (err) {
      const reason = err instanceof SlackWorkRefused ? err.publicReason : 'Keywarden could not accept this request right now, so nothing was done. Try again in a moment.';
      options.log.error('slack request not handed to the worker', { code: errorLabel(err) });
      // A slash command can say so in its ack; an event or a click gets a status Slack retries or shows.
      if (typeof body.command === 'string') return { status: 200, body: { response_type: 'ephemeral', ...outboundMessage({ kind: 'error', code: 'unavailable', message: reason }) } };
      return { status: 503, body: unavailable(reason) };
    }
    return { status: 200 };
  };
}

function unavailable(message: string) {
  return { error: { message, type: 'service_unavailable', code: 'service_unavailable', param: null } };
}
