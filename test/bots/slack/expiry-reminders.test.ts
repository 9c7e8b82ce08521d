import { createHash, randomUUID } from 'node:crypto';
import { deliveryClaimId } from '../../../lambdas/core/delivery-claim';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackWork } from '../../../bots/slack/ack-first/slack-work';
import { createSlackLambdaHandler, type SlackLambdaHandler } from '../../../bots/slack';
import { EXPIRY_REMINDERS_EVENT } from '../../../bots/core/expiry-reminders-event';
import { isIdle, reminderThreshold } from '../../../bots/core/expiry-reminders';
import { StaticSecretsProvider } from '../../../lambdas/adapters/secrets';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { ADMIN, ADMIN_USER, SIGNING_SECRET, buttonValue, keysIn, sign } from './slack-harness';
import { startSlackStandIn, type RecordedCall, type SlackStandIn } from './slack-stand-in';

const DAY = 86_400_000;
const SECOND_ADMIN_USER = 'UADMIN2';

describe('expiry thresholds (pure)', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  const at = (days: number) => new Date(now + days * DAY).toISOString();
  const key = (expiresAt: string | null, extra: object = {}) => ({ expiresAt, status: 'active' as const, replacedBy: null, ...extra });

  it('13 days out is the 14-day notice; 2 days the 3-day one; yesterday just expired; a month out or long gone, none', () => {
    expect(reminderThreshold(key(at(13)), now)).toBe('14d');
    expect(reminderThreshold(key(at(2)), now)).toBe('3d');
    expect(reminderThreshold(key(at(-1)), now)).toBe('expired');
    expect(reminderThreshold(key(at(30)), now)).toBeUndefined();
    expect(reminderThreshold(key(at(-30)), now)).toBeUndefined();
    expect(reminderThreshold(key(null), now)).toBeUndefined();
    expect(reminderThreshold(key(at(2), { status: 'revoked' }), now)).toBeUndefined();
    expect(reminderThreshold(key(at(2), { replacedBy: 'key_x' }), now)).toBeUndefined();
  });

  it('calls a key idle when not used in 90 days (never used counts from creation)', () => {
    expect(isIdle({ lastUsedAt: null, createdAt: at(-91) }, now)).toBe(true);
    expect(isIdle({ lastUsedAt: at(-1), createdAt: at(-400) }, now)).toBe(false);
    expect(isIdle({ lastUsedAt: null, createdAt: at(-10) }, now)).toBe(false);
  });
});

/** Issue 12: a key 13 days from expiry → one DM per admin, once; Rotate goes through the usual confirmation. */
describe('Slack expiry reminders (Lambda, daily schedule event)', () => {
  let stack: TestStack;
  let slack: SlackStandIn;
  let lambda: SlackLambdaHandler;
  const queued: SlackWork[] = [];
  const context = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:keywarden-test-slack' } as Context;
  let expiring: { id: string; key: string; name: string; start: string };

  beforeAll(async () => {
    slack = await startSlackStandIn();
    stack = await startTestStack({ KEYWARDEN_ADMINS: `${ADMIN},slack:T1:${SECOND_ADMIN_USER},teams:tenant1:aad-admin` });
    lambda = createSlackLambdaHandler({
      apiBaseUrl: stack.url,
      slackApiUrl: slack.apiUrl,
      secrets: new StaticSecretsProvider({
        slack: { signingSecret: SIGNING_SECRET, botToken: 'xoxb-test' },
        botViewerKeys: stack.secrets.botViewerKeys,
        botAssertion: stack.secrets.botAssertion,
      }),
      dispatch: () => async (work) => void queued.push(work),
    });
    const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'nightly export', expiresIn: '13d' } });
    expect(created.status).toBe(201);
    expiring = created.body;
  });
  afterAll(async () => {
    await stack?.stop();
    await slack?.close();
  });

  type ApiCall = Extract<RecordedCall, { kind: 'api' }>;
  const reminders = (from = 0) =>
    slack.calls.slice(from).filter((c): c is ApiCall => c.kind === 'api' && c.method === 'chat.postMessage' && JSON.stringify(c.args).includes('kw_reminder'));

  /** A button click, signed, through the front door and the queued work. */
  async function click(actionId: string, value: string, responseId: string) {
    const payload = {
      type: 'block_actions',
      user: { id: ADMIN_USER, username: 'uadmin', team_id: 'T1' },
      api_app_id: 'A1',
      token: 'legacy',
      container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'DADMIN' },
      trigger_id: `trigger-${responseId}`,
      team: { id: 'T1', domain: 'test' },
      channel: { id: 'DADMIN', name: 'directmessage' },
      response_url: slack.responseUrl(responseId),
      actions: [{ action_id: actionId, block_id: 'b1', value, type: 'button', action_ts: `${Date.now() / 1000}`, text: { type: 'plain_text', text: 'x' } }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': sign(SIGNING_SECRET, ts, body) };
    expect((await lambda({ body, headers, isBase64Encoded: false }, context)).statusCode).toBe(200);
    for (let work = queued.shift(); work; work = queued.shift()) await lambda(work, context);
    const [answer] = slack.responses(responseId);
    expect(answer, `answer to ${actionId}`).toBeDefined();
    return answer!;
  }

  it('no other key can pre-claim a reminder: a keys:read viewer key and the admin key are refused (403) for every id they can compute', async () => {
    const viewer = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'reminder squatter', type: 'viewer', scopes: ['keys:read'] } })).body;
    expect(viewer.key).toBeDefined();
    // What a viewer key can read: the due key and the admins' identities.
    const admins = ((await stack.json('/v1/admins', { key: viewer.key })).body.data as { identity: string }[]).map((a) => a.identity);
    expect(admins).toContain(ADMIN);
    const due = (await stack.json(`/v1/keys/${expiring.id}`, { key: viewer.key })).body as { id: string; expiresAt: string };
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const names = admins.flatMap((admin) => ['14d', '3d', 'expired'].map((threshold) => `expiry-reminder:slack:${due.id}:${due.expiresAt}:${threshold}:${admin}`));
    const ids = names.flatMap((name) => [sha256(name), deliveryClaimId('guess', name)]);
    const statuses = await Promise.all(
      [viewer.key, stack.adminKey].flatMap((key) => ids.map(async (id) => (await stack.json('/v1/bots/deliveries', { key, body: { id, keepForSeconds: 90 * 86_400 } })).status)),
    );
    expect(new Set(statuses)).toEqual(new Set([403]));
    // The run below still sends every due reminder (the next test counts them).
  });

  it('sends exactly one reminder per Slack admin for the 14-day threshold, and nothing when the job runs again', async () => {
    await lambda(EXPIRY_REMINDERS_EVENT, context);
    const sent = reminders();
    expect(sent.map((c) => c.args.channel).sort()).toEqual([`D${ADMIN_USER.slice(1)}`, `D${SECOND_ADMIN_USER.slice(1)}`]);
    for (const call of sent) {
      const text = JSON.stringify(call.args);
      expect(text).toContain('expires within 14 days');
      expect(text).toContain('nightly export');
      expect(text).toContain(expiring.start);
      expect(text).toContain('never used');
      expect(keysIn(call)).toEqual([]);
    }
    // Only the key that is due: the bootstrap keys expire in a year or never.
    expect(sent.every((c) => JSON.stringify(c.args).includes(expiring.id))).toBe(true);

    const before = slack.calls.length;
    await lambda(EXPIRY_REMINDERS_EVENT, context);
    expect(reminders(before)).toEqual([]);
  });

  it('Rotate… asks the usual confirmation; confirming delivers the new key privately and stops the old one', async () => {
    const [reminder] = reminders().filter((c) => c.args.channel === `D${ADMIN_USER.slice(1)}`);
    const confirm = await click('kw_reminder_rotate', buttonValue(reminder!.args, 'kw_reminder_rotate'), `reminder-rotate-${randomUUID().slice(0, 6)}`);
    expect(confirm.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(confirm.body)).toContain('Rotate this key?');
    expect((await stack.call('/v1/models', { key: expiring.key })).status).toBe(200); // nothing yet

    const done = await click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'), `reminder-confirm-${randomUUID().slice(0, 6)}`);
    expect(done.body.response_type).toBe('ephemeral');
    const [fresh] = keysIn(done);
    expect(fresh).toBeDefined();
    expect((await stack.call('/v1/models', { key: fresh! })).status).toBe(200);
    expect((await stack.call('/v1/models', { key: expiring.key })).status).toBe(401);
  });
});
