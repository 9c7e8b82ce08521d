import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTeamsBot, handleProxyEvent } from '../../../bots/teams';
import { BUDGET_ALERTS_EVENT } from '../../../bots/core/expiry-reminders-event';
import { secretArnVariable } from '../../../lambdas/config';
import { setBudgetState } from '../budget-state';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../../lib/secrets-manager-stand-in';
import { CHANNEL, executeAction, message } from './activities';
import { cardOf, startTeamsHarness, type TeamsHarness } from './harness';

/**
 * The Lambda door: API Gateway REST proxy events into the same adapter and turn logic as the local
 * listener, and bots/teams/handler.ts reading its three secrets from Secrets Manager (a local
 * stand-in speaking the AWS protocol).
 */
let h: TeamsHarness;
beforeAll(async () => {
  h = await startTeamsHarness();
});
afterAll(async () => {
  await h?.close();
});

function proxyEvent(body: unknown, options: { base64?: boolean; headers?: Record<string, string> } = {}): APIGatewayProxyEvent {
  const text = JSON.stringify(body);
  return {
    httpMethod: 'POST',
    path: '/api/messages',
    resource: '/api/messages',
    headers: { 'Content-Type': 'application/json', ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: options.base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: Boolean(options.base64),
    requestContext: { requestId: randomUUID() } as APIGatewayProxyEvent['requestContext'],
  };
}

describe('handleProxyEvent (Emulator-mode bot)', () => {
  it('a message event runs a turn; the reply goes to the connector', async () => {
    const viewerKey = h.stack.secrets.botViewerKeys!.teams;
    const bot = createTeamsBot({ apiBaseUrl: h.stack.url, viewerKey, assertionSecret: h.stack.secrets.botAssertion.current, credentials: {} });
    h.connector.reset();
    const res = await handleProxyEvent(bot.adapter, bot.logic, proxyEvent(message({ serviceUrl: h.connector.url, text: 'list' }), { base64: true }));
    expect(res.statusCode).toBe(200);
    await h.connector.waitFor(() => h.connector.in(CHANNEL.id).length > 0);
    expect(cardOf(h.connector.in(CHANNEL.id)[0]!)).toMatchObject({ version: '1.5' });

    const invoke = await handleProxyEvent(bot.adapter, bot.logic, proxyEvent(executeAction({ serviceUrl: h.connector.url, verb: 'keywarden.cancel', data: { verb: 'keywarden.cancel' } })));
    expect(invoke.statusCode).toBe(200);
    expect(invoke.headers).toMatchObject({ 'content-type': 'application/json' });
    expect(JSON.parse(invoke.body)).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
  });

  it('an oversized body is a 413 before any parsing', async () => {
    const bot = createTeamsBot({ apiBaseUrl: h.stack.url, viewerKey: 'unused', assertionSecret: 'unused', credentials: {} });
    const res = await handleProxyEvent(bot.adapter, bot.logic, proxyEvent({ type: 'message', text: 'x'.repeat(300_000) }));
    expect(res.statusCode).toBe(413);
  });
});

describe('bots/teams/handler.ts', () => {
  const saved = { ...process.env };
  let secretsManager: SecretsManagerStandIn | undefined;
  const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:keywarden-test/${name}-AbCdEf`;

  async function coldStart(teamsSecret: unknown) {
    secretsManager = await startSecretsManagerStandIn([
      { arn: arn('teams'), name: 'keywarden-test/teams', value: teamsSecret },
      { arn: arn('botViewerKeys'), name: 'keywarden-test/botViewerKeys', value: { slack: 'unused', teams: h.stack.secrets.botViewerKeys!.teams } },
      { arn: arn('botAssertion'), name: 'keywarden-test/botAssertion', value: { current: h.stack.secrets.botAssertion.current } },
    ]);
    Object.assign(process.env, {
      KEYWARDEN_API_URL: h.stack.url,
      [secretArnVariable('teams')]: arn('teams'),
      [secretArnVariable('botViewerKeys')]: arn('botViewerKeys'),
      [secretArnVariable('botAssertion')]: arn('botAssertion'),
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEAMSTEST',
      AWS_SECRET_ACCESS_KEY: 'teams-test',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    });
    vi.resetModules();
    return (await import('../../../bots/teams/handler')).handler as (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  }

  afterEach(async () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await secretsManager?.close();
    secretsManager = undefined;
  });

  it('reads its three secrets by ARN on first use and requires a Bot Framework token', async () => {
    const handler = await coldStart({ appId: randomUUID(), appPassword: randomBytes(16).toString('hex') });
    expect(secretsManager!.calls).toEqual([]); // nothing read at module load
    h.connector.reset();
    const res = await handler(proxyEvent(message({ serviceUrl: h.connector.url, text: 'create sneaky' })));
    expect(res.statusCode).toBe(401);
    expect([...secretsManager!.calls].sort()).toEqual([arn('botAssertion'), arn('botViewerKeys'), arn('teams')]);
    expect(h.connector.calls).toEqual([]);
    // Warm: built once, not re-read per request.
    await handler(proxyEvent(message({ serviceUrl: h.connector.url, text: 'help' })));
    expect(secretsManager!.calls).toHaveLength(3);
  });

  it('runs the budget alerts on the 5-minute schedule event, once per alert; an HTTP request of the same shape is not the job', async () => {
    const handler = await coldStart({ appId: randomUUID(), appPassword: randomBytes(16).toString('hex') });
    const key = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'scheduled spend', type: 'viewer' } })).body;
    await setBudgetState(h.stack, key.id, { credits: 10, period: 'day' }, 9);
    const first = await handler(BUDGET_ALERTS_EVENT as unknown as APIGatewayProxyEvent);
    // The admin never installed the bot personally in this file: claimed, and counted as unreachable (never a guessed chat).
    // The exposure notices run on the same event (no key exposed here: none due).
    expect(JSON.parse(first.body)).toEqual({ sent: 0, failed: 0, unreachable: 1, alreadySent: 0, exposureNotices: { sent: 0, failed: 0, unreachable: 0, alreadySent: 0 } });
    const again = await handler(BUDGET_ALERTS_EVENT as unknown as APIGatewayProxyEvent);
    expect(JSON.parse(again.body)).toMatchObject({ sent: 0, failed: 0, unreachable: 0, alreadySent: 1 });
    const disguised = await handler({ ...proxyEvent(message({ serviceUrl: h.connector.url, text: 'help' })), ...BUDGET_ALERTS_EVENT } as unknown as APIGatewayProxyEvent);
    expect(disguised.statusCode).toBe(401);
  });

  it('never runs unauthenticated in AWS: a teams secret without appId fails loudly', async () => {
    const handler = await coldStart({ appId: '', appPassword: '' });
    await expect(handler(proxyEvent(message({ serviceUrl: h.connector.url, text: 'help' })))).rejects.toThrow('secret teams must hold appId and appPassword');
  });

  it('a missing environment variable fails the cold start with its name', async () => {
    delete process.env.KEYWARDEN_API_URL;
    delete process.env[secretArnVariable('teams')];
    vi.resetModules();
    await expect(import('../../../bots/teams/handler')).rejects.toThrow(/KEYWARDEN_API_URL.*SECRET_TEAMS_ARN|SECRET_TEAMS_ARN.*KEYWARDEN_API_URL/);
  });
});
