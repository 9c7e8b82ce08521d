import type { App, Receiver, RespondArguments } from '@slack/bolt';
import { RESPONSE_URL_TIMEOUT_MS } from '../delivery';
import { parseSlackBody, type SlackWork } from './slack-work';

/**
 * The worker half of the Slack edge (front-door.ts has the other): a Bolt receiver that takes no
 * HTTP requests itself. It is handed work the front door has already verified and acknowledged,
 * and runs it through the app — global middleware (the replay guard) first, then the listener.
 *
 * Slack has had its ack, so a listener's `ack()` is a no-op here, except that a slash command
 * acked with a message (the replay guard's "could not accept") still reaches the person, through
 * the command's response_url.
 */
export class SlackWorkReceiver implements Receiver {
  private app: App | undefined;

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** Runs one work item to the end; listener errors go to the app's error handler (logged). */
  async run(work: SlackWork): Promise<void> {
    if (!this.app) throw new Error('SlackWorkReceiver is not attached to an app');
    const body = parseSlackBody(work.rawBody, work.contentType);
    if (!body) return;
    await this.app.processEvent({
      body,
      ack: async (response?: unknown) => {
        if (typeof body.command === 'string' && typeof body.response_url === 'string' && isMessage(response)) {
          await postResponse(body.response_url, response);
        }
      },
      ...(work.retryNum !== undefined ? { retryNum: work.retryNum } : {}),
      ...(work.retryReason !== undefined ? { retryReason: work.retryReason } : {}),
      customProperties: work.signature ? { slackSignature: work.signature } : {},
    });
  }
}

function isMessage(response: unknown): response is RespondArguments {
  return !!response && typeof response === 'object' && ('text' in response || 'blocks' in response);
}

async function postResponse(url: string, message: RespondArguments): Promise<void> {
  await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(RESPONSE_URL_TIMEOUT_MS),
  }).catch(() => undefined);
}
