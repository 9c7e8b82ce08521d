import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackWork } from '../../../bots/slack/ack-first/slack-work';
import { createSlackLambdaHandler, type SlackLambdaHandler } from '../../../bots/slack';
import { AwsSecretsProvider } from '../../../lambdas/adapters/secrets';
import type { SecretName } from '../../../lambdas/config';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../../lib/secrets-manager-stand-in';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { ADMIN, SIGNING_SECRET, sign } from './slack-harness';
import { startSlackStandIn, type SlackStandIn } from './slack-stand-in';

/**
 * Issue 12, secrets refresh without redeploy: the Slack Lambda reads its secrets through
 * Powertools Parameters' cached provider against a Secrets Manager stand-in. A viewer key
 * rotated in Secrets Manager is used by the warm bot once the cache time has passed (3 s here
 * instead of 300), and not before.
 */
/** The provider's maxAge for this test: long enough that the in-cache step cannot outlive it, short enough to wait out. */
const CACHE_SECONDS = 3;

describe('Slack Lambda: secrets refresh on a warm instance', () => {
  let stack: TestStack;
  let slack: SlackStandIn;
  let secretsManager: SecretsManagerStandIn;
  let handler: SlackLambdaHandler;
  const savedEnv = { ...process.env };
  const arn = (name: SecretName) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:keywarden-test/${name}-AbCdEf`;
  const values: Record<string, Record<string, string>> = {};
  const context = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:keywarden-test-slack' } as Context;
  let counter = 0;

  beforeAll(async () => {
    slack = await startSlackStandIn();
    stack = await startTestStack({ KEYWARDEN_ADMINS: ADMIN });
    values.slack = { signingSecret: SIGNING_SECRET, botToken: 'xoxb-refresh' };
    values.botViewerKeys = { slack: stack.secrets.botViewerKeys!.slack! };
    values.botAssertion = { current: stack.secrets.botAssertion.current };
    // The stand-in serializes a secret's value object when asked, so changing it here is a rotation.
    secretsManager = await startSecretsManagerStandIn(
      (['slack', 'botViewerKeys', 'botAssertion'] as const).map((name) => ({ arn: arn(name), name: `keywarden-test/${name}`, value: values[name] })),
    );
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDREFRESHTEST',
      AWS_SECRET_ACCESS_KEY: 'refresh-test',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    });
    const secrets = new AwsSecretsProvider({ slack: arn('slack'), botViewerKeys: arn('botViewerKeys'), botAssertion: arn('botAssertion') }, CACHE_SECONDS);
    const queued: SlackWork[] = [];
    const lambda = createSlackLambdaHandler({
      apiBaseUrl: stack.url,
      slackApiUrl: slack.apiUrl,
      secrets,
      dispatch: () => async (work) => void queued.push(work),
    });
    handler = async (event, ctx) => {
      const result = await lambda(event, ctx);
      for (let work = queued.shift(); work; work = queued.shift()) await lambda(work, ctx);
      return result;
    };
  });
  afterAll(async () => {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    await stack?.stop();
    await slack?.close();
    await secretsManager?.close();
  });

  /** `/apikeys whoami`, signed; the answer names the viewer key the bot is using. */
  async function whoami(): Promise<string> {
    const id = `refresh${++counter}`;
    const body = new URLSearchParams({ team_id: 'T1', user_id: 'UADMIN', channel_id: 'C1', command: '/apikeys', text: 'whoami', response_url: slack.responseUrl(id), trigger_id: 't' }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const event = { body, isBase64Encoded: false, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': sign(SIGNING_SECRET, ts, body) } };
    expect((await handler(event, context)).statusCode).toBe(200);
    const [answer] = slack.responses(id);
    expect(answer, 'the whoami answer').toBeDefined();
    return answer!.raw;
  }

  it('uses a rotated viewer key after the cache time, without a new instance', async () => {
    const oldStart = stack.secrets.botViewerKeys!.slack!.slice(0, 11);
    expect(await whoami()).toContain(oldStart);

    const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'Slack bot viewer key (rotated)', type: 'viewer' } });
    expect(created.status).toBe(201);
    const rotated = created.body as { key: string; start: string };
    const reads = secretsManager.calls.length;
    values.botViewerKeys!.slack = rotated.key;

    // Within the cache time the warm bot keeps the value it has: no read, the old key.
    const cached = await whoami();
    expect(cached).toContain(oldStart);
    expect(secretsManager.calls.length).toBe(reads);

    await new Promise((r) => setTimeout(r, CACHE_SECONDS * 1000 + 200));
    const fresh = await whoami();
    expect(secretsManager.calls.length).toBeGreaterThan(reads);
    expect(fresh).toContain(rotated.start);
    expect(fresh).not.toContain(oldStart);
    // And the rotated key is the one /v1 saw: the bot's calls now authenticate with it.
    const me = await stack.json('/v1/me', { key: rotated.key });
    expect(me.body).toMatchObject({ start: rotated.start });
  });
});
