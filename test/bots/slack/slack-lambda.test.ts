import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackLambdaHandler, type SlackLambdaHandler } from '../../../bots/slack';
import { StaticSecretsProvider } from '../../../lambdas/adapters/secrets';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { ADMIN, SIGNING_SECRET, sign } from './slack-harness';
import { startSlackStandIn, type SlackStandIn } from './slack-stand-in';

/** The Lambda entry's path: AwsLambdaReceiver with an API Gateway REST proxy event, secrets from a provider. */
describe('Slack bot as a Lambda handler', () => {
  let stack: TestStack;
  let slack: SlackStandIn;
  let handler: SlackLambdaHandler;
  let secretReads = 0;

  beforeAll(async () => {
    slack = await startSlackStandIn();
    stack = await startTestStack({ KEYWARDEN_ADMINS: ADMIN });
    const provider = new StaticSecretsProvider({
      slack: { signingSecret: SIGNING_SECRET, botToken: 'xoxb-test' },
      botViewerKeys: stack.secrets.botViewerKeys,
      botAssertion: stack.secrets.botAssertion,
    });
    handler = createSlackLambdaHandler({
      keywardenUrl: stack.url,
      slackApiUrl: slack.apiUrl,
      secrets: { get: (name) => (secretReads++, provider.get(name)) },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await slack?.close();
  });

  const restEvent = (body: string, contentType: string, headers: Record<string, string> = {}) => {
    const ts = Math.floor(Date.now() / 1000);
    return {
      resource: '/slack/events',
      path: '/slack/events',
      httpMethod: 'POST',
      headers: { 'Content-Type': contentType, 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': sign(SIGNING_SECRET, ts, body), ...headers },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      requestContext: { requestId: randomUUID() },
      body,
      isBase64Encoded: false,
    };
  };
  const context = {} as Context;

  it('answers a signed slash command before returning, building the app once', async () => {
    const body = new URLSearchParams({
      team_id: 'T1',
      user_id: 'UADMIN',
      channel_id: 'C1',
      command: '/apikeys',
      text: 'list',
      response_url: slack.responseUrl('lambda1'),
      trigger_id: 't1',
    }).toString();
    const result = await handler(restEvent(body, 'application/x-www-form-urlencoded'), context);
    expect(result.statusCode).toBe(200);
    // Processed before the response: the answer is already at the response_url.
    expect(slack.responses('lambda1')).toHaveLength(1);
    expect(JSON.stringify(slack.responses('lambda1')[0]!.body)).toContain('Slack bot viewer key');

    await handler(restEvent(body.replace('lambda1', 'lambda2'), 'application/x-www-form-urlencoded'), context);
    expect(slack.responses('lambda2')).toHaveLength(1);
    expect(secretReads).toBe(3);
  });

  it('refuses a bad signature with 401', async () => {
    const event = restEvent('command=%2Fapikeys&text=list', 'application/x-www-form-urlencoded', { 'X-Slack-Signature': `v0=${'f'.repeat(64)}` });
    expect((await handler(event, context)).statusCode).toBe(401);
  });

  it('ignores Slack retries of an event (the first delivery was already handled)', async () => {
    const before = slack.calls.length;
    const body = JSON.stringify({
      type: 'event_callback',
      team_id: 'T1',
      api_app_id: 'A1',
      event_id: 'Ev1',
      event: { type: 'app_mention', user: 'UMEMBER', text: '<@UBOT> hi', channel: 'C1', ts: '1.000001' },
    });
    const result = await handler(restEvent(body, 'application/json', { 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' }), context);
    expect(result.statusCode).toBe(200);
    expect(slack.calls.slice(before).filter((c) => c.kind === 'api' && c.method === 'chat.postMessage')).toEqual([]);
    // The same event delivered first time is answered (in thread) before the handler returns.
    await handler(restEvent(body, 'application/json'), context);
    const answers = slack.calls.slice(before).filter((c) => c.kind === 'api' && c.method === 'chat.postMessage');
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ args: { channel: 'C1', thread_ts: '1.000001' } });
  });
});
