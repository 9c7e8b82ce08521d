import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackLambdaHandler, type SlackLambdaHandler } from '../../../bots/slack';
import type { SlackWork } from '../../../bots/slack/ack-first/slack-work';
import { StaticSecretsProvider } from '../../../lambdas/adapters/secrets';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { ADMIN, SIGNING_SECRET, sign } from './slack-harness';
import { startSlackStandIn, type SlackStandIn } from './slack-stand-in';

/**
 * The Lambda entry's path: an API Gateway REST proxy event answered by the front door, the work
 * handed to an asynchronous invocation of the same function (captured here, then invoked with
 * that payload as Lambda would), secrets from a provider.
 */
describe('Slack bot as a Lambda handler', () => {
  let stack: TestStack;
  let slack: SlackStandIn;
  let lambda: SlackLambdaHandler;
  let secretReads = 0;
  /** What the front door handed to the asynchronous invocation, not yet run. */
  const queued: SlackWork[] = [];
  const context = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:keywarden-test-slack' } as Context;

  /** One API Gateway invocation, then the asynchronous invocations it queued, in order. */
  const handler = async (event: Parameters<SlackLambdaHandler>[0], ctx: Context) => {
    const result = await lambda(event, ctx);
    for (let work = queued.shift(); work; work = queued.shift()) await lambda(work, ctx);
    return result;
  };

  beforeAll(async () => {
    slack = await startSlackStandIn();
    stack = await startTestStack({ KEYWARDEN_ADMINS: ADMIN });
    const provider = new StaticSecretsProvider({
      slack: { signingSecret: SIGNING_SECRET, botToken: 'xoxb-test' },
      botViewerKeys: stack.secrets.botViewerKeys,
      botAssertion: stack.secrets.botAssertion,
    });
    lambda = createSlackLambdaHandler({
      apiBaseUrl: stack.url,
      slackApiUrl: slack.apiUrl,
      secrets: { get: (name) => (secretReads++, provider.get(name)) },
      dispatch: (ctx) => async (work) => {
        expect(ctx.invokedFunctionArn).toBe(context.invokedFunctionArn);
        queued.push(JSON.parse(JSON.stringify(work)) as SlackWork);
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await slack?.close();
  });

  const restEvent = (body: string, contentType: string, headers: Record<string, string> = {}, ts = Math.floor(Date.now() / 1000)) => {
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
  it('acks a signed slash command at once; the asynchronous invocation answers at the response_url, with the app built once', async () => {
    const body = new URLSearchParams({
      team_id: 'T1',
      user_id: 'UADMIN',
      channel_id: 'C1',
      command: '/apikeys',
      text: 'list',
      response_url: slack.responseUrl('lambda1'),
      trigger_id: 't1',
    }).toString();
    const result = await lambda(restEvent(body, 'application/x-www-form-urlencoded'), context);
    expect(result).toMatchObject({ statusCode: 200, body: '' });
    // Acked before any work: nothing at the response_url yet, one hand-off queued.
    expect(slack.responses('lambda1')).toHaveLength(0);
    expect(queued).toHaveLength(1);
    await lambda(queued.shift()!, context);
    expect(slack.responses('lambda1')).toHaveLength(1);
    expect(JSON.stringify(slack.responses('lambda1')[0]!.body)).toContain('Slack bot viewer key');

    const reads = secretReads;
    await handler(restEvent(body.replace('lambda1', 'lambda2'), 'application/x-www-form-urlencoded'), context);
    expect(slack.responses('lambda2')).toHaveLength(1);
    // Read on every invocation (the provider caches; the bot is rebuilt only when a value changes): front door 1, worker 3.
    expect(secretReads - reads).toBe(4);
    expect(slack.api('auth.test')).toEqual([]);
  });

  it('refuses a bad signature with 401', async () => {
    const event = restEvent('command=%2Fapikeys&text=list', 'application/x-www-form-urlencoded', { 'X-Slack-Signature': `v0=${'f'.repeat(64)}` });
    expect((await handler(event, context)).statusCode).toBe(401);
    expect(queued).toEqual([]);
  });

  it('an API Gateway event is never taken for work, whatever its body says', async () => {
    const body = JSON.stringify({ kind: 'keywarden.slack.work', v: 1, rawBody: 'command=%2Fapikeys&text=list', contentType: 'application/x-www-form-urlencoded' });
    const event = { ...restEvent(body, 'application/json'), kind: 'keywarden.slack.work', v: 1, rawBody: 'x', contentType: 'application/json' };
    const result = await lambda(event as never, context);
    // Signed JSON that is not a Slack payload type it knows: acked and handed on as an ordinary request, never run as work.
    expect(result.statusCode).toBe(200);
    expect(queued).toHaveLength(1);
    expect(queued.shift()!.rawBody).toBe(body);
  });

  const chatAnswers = (from: number, threadTs: string) =>
    slack.calls.slice(from).filter((c) => c.kind === 'api' && c.method === 'chat.postMessage' && c.args.thread_ts === threadTs);
  const mention = (eventId: string, ts: string) =>
    JSON.stringify({
      type: 'event_callback',
      team_id: 'T1',
      api_app_id: 'A1',
      event_id: eventId,
      event: { type: 'app_mention', user: 'UMEMBER', text: '<@UBOT> hi', channel: 'C1', ts },
    });
  const retryHeaders = { 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' };
  const now = () => Math.floor(Date.now() / 1000);

  // Slack retries an event with a new signature (new timestamp) and the same event_id: the
  // event id is what is claimed, so the event runs once whichever delivery gets there first.
  it('runs an event once: a Slack retry after the original was handled does nothing', async () => {
    const before = slack.calls.length;
    const body = mention('EvOriginalFirst', '1.000001');
    expect((await handler(restEvent(body, 'application/json', {}, now()), context)).statusCode).toBe(200);
    expect(chatAnswers(before, '1.000001')).toHaveLength(1);
    const retry = await handler(restEvent(body, 'application/json', retryHeaders, now() + 1), context);
    expect(retry).toMatchObject({ statusCode: 200, body: '' });
    expect(chatAnswers(before, '1.000001')).toHaveLength(1);
  });

  it('a retry whose original never arrived is answered, and the late original is not', async () => {
    const before = slack.calls.length;
    const body = mention('EvRetryFirst', '2.000001');
    await handler(restEvent(body, 'application/json', retryHeaders, now()), context);
    expect(chatAnswers(before, '2.000001')).toHaveLength(1);
    await handler(restEvent(body, 'application/json', {}, now() - 2), context);
    expect(chatAnswers(before, '2.000001')).toHaveLength(1);
  });

  it('runs a replayed slash command once: 200 with an empty body, one answer at the response_url', async () => {
    const body = new URLSearchParams({
      team_id: 'T1',
      user_id: 'UADMIN',
      channel_id: 'C1',
      command: '/apikeys',
      text: 'create lambda replay',
      response_url: slack.responseUrl('lambda-replay'),
      trigger_id: 't3',
    }).toString();
    const event = restEvent(body, 'application/x-www-form-urlencoded');
    for (let i = 0; i < 3; i++) expect(await handler(event, context)).toMatchObject({ statusCode: 200, body: '' });
    expect(slack.responses('lambda-replay')).toHaveLength(1);
    const keys = (await stack.json('/v1/keys?search=lambda%20replay', { key: stack.adminKey })).body.data;
    expect(keys).toHaveLength(1);
  });

  it('refuses a correctly signed request dated an hour ahead with 401, before the app runs', async () => {
    const before = slack.calls.length;
    const body = mention('EvFromTheFuture', '3.000001');
    const result = await handler(restEvent(body, 'application/json', {}, now() + 3600), context);
    expect(result.statusCode).toBe(401);
    expect(slack.calls.slice(before)).toEqual([]);
  });
});
