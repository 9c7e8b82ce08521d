import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_ALERTS_EVENT } from '../../../bots/core/expiry-reminders-event';
import { createSlackLambdaHandler, type SlackLambdaHandler } from '../../../bots/slack';
import { StaticSecretsProvider } from '../../../lambdas/adapters/secrets';
import { ADMIN, ADMIN_USER, CHANNEL, MEMBER_USER, SIGNING_SECRET, buttonValue, keysIn, textOf, useSlackHarness } from './slack-harness';
import type { RecordedCall } from './slack-stand-in';

type ApiCall = Extract<RecordedCall, { kind: 'api' }>;
const ADMIN_DM = `D${ADMIN_USER.slice(1)}`;
/** Whoever holds a leaked key chooses its user agent: shown, it must ping nobody and link nowhere. */
const HOSTILE_AGENT = 'thief <!channel> <https://evil.example|click> & co';

/**
 * Issue 22 on Slack: a key posted in a channel is revoked at once by the leak guard; every
 * exposure (chat, a GitHub report, `exposed <key>`) reaches the project's Slack admins once, as a
 * DM from the 5-minute job (the budget alerts' event, through the bot's Lambda handler) with what
 * the key did since; `Create replacement` and `Show usage` clicked as signed Slack requests
 * through Bolt's receiver. Against the real local stack and a stand-in Web API.
 */
describe('Slack exposure notices', () => {
  const h = useSlackHarness({ KEYWARDEN_ADMINS: `${ADMIN},teams:tenant1:aad-admin` });
  let lambda: SlackLambdaHandler;
  const context = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:keywarden-test-slack' } as Context;
  let ts = 1_800_000_000;

  beforeAll(() => {
    lambda = createSlackLambdaHandler({
      apiBaseUrl: h.stack.url,
      slackApiUrl: h.slack.apiUrl,
      secrets: new StaticSecretsProvider({
        slack: { signingSecret: SIGNING_SECRET, botToken: 'xoxb-test' },
        botViewerKeys: h.stack.secrets.botViewerKeys,
        botAssertion: h.stack.secrets.botAssertion,
      }),
      dispatch: () => async () => undefined,
    });
  });

  const newKey = async (name: string) =>
    (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name, scopes: ['models:read', 'responses:write', 'keys:read'], rateLimit: { limit: 77, windowSeconds: 60 }, models: ['archibot'] } })).body as {
      id: string;
      key: string;
      start: string;
    };
  const keyNow = async (id: string) => (await h.stack.json(`/v1/keys/${id}`, { key: h.stack.adminKey })).body;
  const notices = (from: number) => h.slack.calls.slice(from).filter((c): c is ApiCall => c.kind === 'api' && c.method === 'chat.postMessage' && c.raw.includes('kw_exposure'));
  /** Runs the 5-minute job (`times` invocations at once) and returns the exposure notices they sent. */
  async function runJob(times = 1): Promise<ApiCall[]> {
    await h.stack.idle();
    const from = h.slack.calls.length;
    const outcomes = await Promise.all(Array.from({ length: times }, () => lambda(BUDGET_ALERTS_EVENT, context)));
    for (const outcome of outcomes) expect(outcome.statusCode).toBe(200);
    return notices(from);
  }
  /** The notice about `keyId` among `sent`, checked to name it and carry no key value. */
  function noticeOf(sent: ApiCall[], keyId: string): ApiCall {
    const mine = sent.filter((c) => textOf(c.args).includes(keyId));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.args.channel).toBe(ADMIN_DM);
    expect(keysIn(mine[0]!)).toEqual([]);
    return mine[0]!;
  }

  it('a key posted in a channel is revoked at once; the admin’s notice arrives once — the job run twice at once, then again — with the usage since', async () => {
    const leaked = await newKey('posted in general');
    const messageTs = `${++ts}.000100`;
    const from = h.slack.calls.length;
    await h.event({ type: 'message', channel: CHANNEL, channel_type: 'channel', user: MEMBER_USER, text: `try this: ${leaked.key}`, ts: messageTs });
    await h.slack.waitFor((c) => c.kind === 'api' && c.method === 'chat.postEphemeral', { from });
    expect(await h.stack.json('/v1/models', { key: leaked.key })).toMatchObject({ status: 401, body: { error: { code: 'key_revoked' } } });

    const sent = await runJob(2);
    const notice = noticeOf(sent, leaked.id);
    const said = textOf(notice.args);
    expect(said).toContain('An API key of this project was exposed');
    expect(said).toContain('posted in general');
    expect(said).toContain(leaked.start);
    expect(said).toContain('posted in a chat conversation');
    expect(said).toContain(`https://test.slack.com/archives/${CHANNEL}/p${messageTs.replace('.', '')}`);
    expect(said).toContain('Revoked: it no longer works.');
    const usage = (await h.stack.json(`/v1/keys/${leaked.id}/exposure`, { key: h.stack.adminKey })).body;
    expect(said).toContain(`${usage.calls} calls`);
    expect(said).toContain('Not used since.');
    expect(said).toContain('Create replacement');
    expect(said).toContain('Show usage');
    expect((await runJob()).filter((c) => textOf(c.args).includes(leaked.id))).toEqual([]);
  });

  describe('a key exposed on GitHub (the pipeline called as the secret-scanning endpoint calls it)', () => {
    let stolen: { id: string; key: string; start: string };
    let notice: ApiCall;

    beforeAll(async () => {
      stolen = await newKey('pushed to github');
      // First seen exposed, then used by whoever found it before the report came: usage since the exposure.
      h.stack.clock.advance(1_000);
      const at = new Date(h.stack.clock.now()).toISOString();
      await h.stack.services.store.markExposed(stolen.id, { source: 'github', location: 'https://github.com/acme/app/blob/main/.env', at });
      h.stack.clock.advance(1_000);
      for (const ua of ['python-requests/2.32', 'python-requests/2.32', HOSTILE_AGENT]) {
        expect((await h.stack.json('/v1/responses', { key: stolen.key, body: { model: 'archibot', input: 'steal' }, headers: { 'user-agent': ua } })).status).toBe(200);
      }
      const outcome = await h.stack.services.keys.exposed(stolen.key, { source: 'github', location: 'https://github.com/acme/app/blob/main/.env' });
      expect(outcome?.handled).toBe('revoked');
      notice = noticeOf(await runJob(2), stolen.id);
    });

    it('the notice, once: where, when, what was done, and what the key did since', async () => {
      const said = textOf(notice.args);
      expect(said).toContain('pushed to a public GitHub repository');
      expect(said).toContain('https://github.com/acme/app/blob/main/.env');
      expect(said).toContain('Revoked: it no longer works.');
      expect(said).toMatch(/3 calls · [\d,]+ tokens · [\d.]+ credits/);
      expect(said).toContain('python-requests/2.32 · 2 calls');
      expect(said).toContain('thief &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co · 1 call');
      expect(said).not.toContain('<!channel>');
      expect(said).toMatch(/127\.0\.0\.1|::1/);
      expect(said).toContain('First use');
      expect((await runJob()).filter((c) => textOf(c.args).includes(stolen.id))).toEqual([]);
    });

    it('Show usage reads the figures again, for whoever clicks', async () => {
      const shown = await h.answer((await h.click('kw_exposure_usage', buttonValue(notice.args, 'kw_exposure_usage'), MEMBER_USER)).responseId);
      expect(textOf(shown.body)).toContain('did since it was first seen exposed');
      expect(textOf(shown.body)).toMatch(/3 calls · [\d,]+ tokens/);
      expect(textOf(shown.body)).not.toContain('<!channel>');
      expect(textOf(shown.body)).toContain('python-requests/2.32');
      expect(keysIn(shown)).toEqual([]);
    });

    it('Create replacement: refused to a non-admin; an admin confirms, and the new value goes to that admin only', async () => {
      const replace = buttonValue(notice.args, 'kw_exposure_replace');
      const count = async () => (await h.stack.json('/v1/keys?limit=200', { key: h.stack.adminKey })).body.data.filter((k: { name: string }) => k.name === 'pushed to github').length;
      expect(await count()).toBe(1);

      const refused = await h.answer((await h.click('kw_exposure_replace', replace, MEMBER_USER)).responseId);
      expect(textOf(refused.body)).toContain('only admins');
      expect(textOf(refused.body)).not.toContain('kw_confirm');

      const ask = await h.answer((await h.click('kw_exposure_replace', replace)).responseId);
      expect(textOf(ask.body)).toContain('Create a replacement for');
      expect(textOf(ask.body)).toContain('same name, type, scopes, models and limits');
      expect(await count()).toBe(1);
      // The confirmation, clicked by someone else, creates nothing.
      const member = await h.answer((await h.click('kw_confirm', buttonValue(ask.body, 'kw_confirm'), MEMBER_USER)).responseId);
      expect(textOf(member.body)).toContain('only admins');
      expect(keysIn(member)).toEqual([]);
      expect(await count()).toBe(1);

      const from = h.slack.calls.length;
      const done = await h.answer((await h.click('kw_confirm', buttonValue(ask.body, 'kw_confirm'))).responseId);
      const [value] = keysIn(done);
      expect(value).toBeDefined();
      // Through the admin's own response_url only: no other Slack call carries it.
      expect(h.slack.calls.slice(from).filter((c) => c !== done).flatMap(keysIn)).toEqual([]);
      expect(done.body.response_type ?? 'ephemeral').toBe('ephemeral');
      expect((await h.stack.call('/v1/models', { key: value! })).status).toBe(200);

      const old = await keyNow(stolen.id);
      const [fresh] = (await h.stack.json('/v1/keys?limit=200', { key: h.stack.adminKey })).body.data.filter((k: { name: string; id: string }) => k.name === 'pushed to github' && k.id !== stolen.id);
      expect(fresh).toMatchObject({ status: 'active', type: old.type, scopes: old.scopes, models: ['archibot'], rateLimit: { limit: 77, windowSeconds: 60 }, exposure: null });
      expect(value!.startsWith(fresh.start)).toBe(true);
    });
  });

  it('the Automator key exposed: rotated at once; its notice offers a working key, rotated once more and sent to the confirming admin only', async () => {
    const projectId = h.stack.bootstrap.projectId;
    const exposedId = (await h.stack.services.store.getProject(projectId))!.automatorKeyId!;
    const report = await h.stack.json(`/v1/keys/${exposedId}/report-exposed`, { key: h.stack.adminKey, body: { location: 'pasted in a wiki page' } });
    expect(report.body.handled).toBe('rotated');
    const rotatedTo = (await h.stack.services.store.getProject(projectId))!.automatorKeyId!;
    expect(rotatedTo).not.toBe(exposedId);

    const notice = noticeOf(await runJob(), exposedId);
    expect(textOf(notice.args)).toContain('Get a working key');
    const button = buttonValue(notice.args, 'kw_exposure_replace');
    const refused = await h.answer((await h.click('kw_exposure_replace', button, MEMBER_USER)).responseId);
    expect(textOf(refused.body)).toContain('only admins');

    const ask = await h.answer((await h.click('kw_exposure_replace', button)).responseId);
    expect(textOf(ask.body)).toContain('Get a working Automator key for this project?');
    expect(keysIn(ask)).toEqual([]);
    const from = h.slack.calls.length;
    const done = await h.answer((await h.click('kw_confirm', buttonValue(ask.body, 'kw_confirm'))).responseId);
    const [value] = keysIn(done);
    expect(value).toBeDefined();
    expect(done.body.response_type ?? 'ephemeral').toBe('ephemeral');
    expect(h.slack.calls.slice(from).filter((c) => c !== done).flatMap(keysIn)).toEqual([]);
    // The value works, and it is the project's Automator key now: the one the exposure made is replaced too.
    expect((await h.stack.call('/v1/models', { key: value! })).status).toBe(200);
    const current = (await h.stack.services.store.getProject(projectId))!.automatorKeyId!;
    expect(current).not.toBe(rotatedTo);
    expect((await keyNow(current)).start).toBe(value!.slice(0, (await keyNow(current)).start.length));
    expect((await keyNow(rotatedTo)).replacedBy).toBe(current);
  });

  it('`exposed <key>`: anyone may ask; the confirmation clicked by a member is refused by the API; an admin’s click revokes it and the notice follows', async () => {
    const reported = await newKey('reported by hand');
    const ask = await h.answer((await h.command('exposed reported by hand', MEMBER_USER)).responseId);
    expect(textOf(ask.body)).toContain('Report this key exposed?');
    expect(textOf(ask.body)).toContain('stops working at once');

    const member = await h.answer((await h.click('kw_confirm', buttonValue(ask.body, 'kw_confirm'), MEMBER_USER)).responseId);
    expect(textOf(member.body)).toContain('is not an admin of this project');
    expect((await keyNow(reported.id)).status).toBe('active');

    const done = await h.answer((await h.click('kw_confirm', buttonValue(ask.body, 'kw_confirm'))).responseId);
    expect(textOf(done.body)).toContain('it has been revoked and no longer works');
    expect(await keyNow(reported.id)).toMatchObject({ status: 'revoked', exposure: { source: 'report', location: `reported in Slack by ${ADMIN}` } });
    expect((await h.stack.call('/v1/models', { key: reported.key })).status).toBe(401);

    const notice = noticeOf(await runJob(), reported.id);
    expect(textOf(notice.args)).toContain('reported exposed');
    expect(textOf(notice.args)).toContain(`reported in Slack by ${ADMIN}`);

    const again = await h.answer((await h.command(`exposed ${reported.id}`, MEMBER_USER)).responseId);
    expect(textOf(again.body)).toContain('was already found exposed');
  });
});
