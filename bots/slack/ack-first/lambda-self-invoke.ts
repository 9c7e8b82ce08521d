import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { SlackWork } from './slack-work';

/**
 * The Lambda hand-off of ack-first (front-door.ts): the function invokes itself asynchronously
 * (`InvocationType: 'Event'`) with the work, and answers Slack while Lambda queues it. The role
 * may invoke only this very function (lib/keywarden-bots.ts), and the asynchronous invocation
 * is configured without retries: the work runs at most once (the replay guard would drop a
 * retry anyway), and a lost hand-off is logged by Lambda, not repeated.
 *
 * The call itself is bounded: a front door that cannot hand off within ~3 s answers Slack that
 * nothing was done, rather than let Slack time out.
 */
let client: LambdaClient | undefined;

function lambdaClient(): LambdaClient {
  client ??= new LambdaClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500 } });
  return client;
}

/** A dispatcher that hands `work` to an asynchronous invocation of `functionArn` (this function's own ARN). */
export function selfInvoke(functionArn: string, lambda: () => LambdaClient = lambdaClient): (work: SlackWork) => Promise<void> {
  return async (work) => {
    const out = await lambda().send(
      new InvokeCommand({ FunctionName: functionArn, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(work), 'utf8') }),
    );
    if (out.StatusCode !== 202) throw new Error(`asynchronous self-invoke answered ${out.StatusCode ?? 'no status'}`);
  };
}
