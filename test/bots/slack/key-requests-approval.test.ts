import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { BUDGET_ALERTS_EVENT } from '../../../bots/core/expiry-reminders-event';
import { createSlackLambdaHandler } from '../../../bots/slack';
import { StaticSecretsProvider } from '../../../lambdas/adapters/secrets';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { storedItems } from '../../support/stored-items';
import { logLines } from '../log-lines';
import { ADMIN, ADMIN_USER, MEMBER, MEMBER_USER, SIGNING_SECRET, buttonValue, keysIn, textOf, useSlackHarness } from './slack-harness';

/**
 * Issue 25 "Done when" on Slack: a member's `/apikeys request`, signed as Slack signs it, reaches
 * the admin's DM as an approval card (the stand-in Web API records it); the admin's Approve click
 * mints the key; the member is told in their DM and collects it there once, ephemerally. The raw
 * key is in that one response and nowhere else: no other Slack call, no log line, no stored item.
 */
describe('Slack key request approval', () => {
  const h = useSlackHarness();
  const dmTo = (user: string) => (c: any) => c.kind === 'api' && c.method === 'chat.postMessage' && c.args.channel === `D${user.replace(/^U/, '')}`;

  it('a member asks, the admin approves by a click, the key goes only to the member; a second click is refused', async () => {
    const from = h.slack.calls.length;
    const asked = await h.command('request "ci deploy" --type viewer --scopes models:read,responses:write --budget 20/month --reason "the CI job"', MEMBER_USER);
    const answer = await h.answer(asked.responseId);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(textOf(answer.body)).toContain('Sent an admin');

    // The admin's DM: who asks, why, exactly the key, Approve and Deny.
    const card = (await h.slack.waitFor(dmTo(ADMIN_USER), { from })) as any;
    const cardText = textOf(card.args);
    for (const said of [MEMBER, 'the CI job', 'ci deploy', 'viewer', 'models:read, responses:write', 'budget 20/month']) expect(cardText).toContain(said);
    const approve = buttonValue(card.args, 'kw_key_request_approve');
    buttonValue(card.args, 'kw_key_request_deny');

    // A member cannot approve, even with the button's value.
    const forged = await h.click('kw_key_request_approve', approve, MEMBER_USER);
    expect(textOf((await h.answer(forged.responseId)).body)).toMatch(/only admins|not an admin/i);

    const click = await h.click('kw_key_request_approve', approve, ADMIN_USER);
    const approved = await h.answer(click.responseId);
    expect(approved.body).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(textOf(approved.body)).toContain('Approved request');
    expect(keysIn(approved)).toEqual([]);

    const again = await h.click('kw_key_request_approve', approve, ADMIN_USER);
    expect(textOf((await h.answer(again.responseId)).body)).toContain('already approved');

    // The member's DM: approved, and a button to collect it.
    const notice = (await h.slack.waitFor(dmTo(MEMBER_USER), { from })) as any;
    expect(textOf(notice.args)).toContain('approved by');
    expect(keysIn(notice)).toEqual([]);
    const collect = buttonValue(notice.args, 'kw_key_request_collect');

    // Only the member can collect it: the admin's click is refused.
    const adminCollect = await h.click('kw_key_request_collect', collect, ADMIN_USER);
    expect(keysIn(await h.answer(adminCollect.responseId))).toEqual([]);

    const collected = await h.click('kw_key_request_collect', collect, MEMBER_USER);
    const delivered = await h.answer(collected.responseId);
    expect(delivered.body.response_type).toBe('ephemeral');
    const [raw] = keysIn(delivered);
    expect(raw).toBeDefined();
    expect((await h.stack.json('/v1/me', { key: raw! })).body).toMatchObject({ type: 'viewer', createdBy: ADMIN, budget: expect.objectContaining({ credits: 20, period: 'month' }) });

    const twice = await h.click('kw_key_request_collect', collect, MEMBER_USER);
    expect(textOf((await h.answer(twice.responseId)).body)).toContain('already collected');

    // The raw key: in the one ephemeral answer, and nowhere else.
    expect(h.slack.calls.filter((c) => c !== delivered).flatMap(keysIn)).toEqual([]);
    const logs = h.output.text();
    expect(logLines(logs)).toContainEqual(expect.objectContaining({ message: 'key request action', op: 'collect', reply: 'key_delivered' }));
    expect(logs).not.toContain(raw);
    const items = JSON.stringify(await storedItems(h.stack.services));
    expect(items).not.toContain(raw);
    expect(findKeysInText(items)).toEqual([]);

    // The audit names the requester and the approver.
    const requests = (await h.stack.json('/v1/key-requests', { key: h.stack.adminKey })).body.data as any[];
    const request = requests.find((r) => r.key.name === 'ci deploy');
    expect(request).toMatchObject({ status: 'approved', requester: MEMBER, decidedBy: ADMIN, claimed: true });
    const audit = (await h.stack.json(`/v1/audit?keyId=${request.keyId}`, { key: h.stack.adminKey })).body.data as any[];
    expect(audit.find((r) => r.action === 'key_request.approve' && r.outcome === 'success')).toMatchObject({ actor: ADMIN, details: expect.objectContaining({ requester: MEMBER, approver: ADMIN }) });
    expect(audit.find((r) => r.action === 'key_request.claim' && r.outcome === 'success')).toMatchObject({ actor: MEMBER, details: expect.objectContaining({ requester: MEMBER, approver: ADMIN }) });
  });

  it('Deny… asks the reason in a form; the member reads it in their DM', async () => {
    const from = h.slack.calls.length;
    const asked = await h.command('request "load test" --reason "benchmarks"', MEMBER_USER);
    await h.answer(asked.responseId);
    const card = (await h.slack.waitFor((c: any) => dmTo(ADMIN_USER)(c) && textOf(c.args).includes('load test'), { from })) as any;
    const deny = await h.click('kw_key_request_deny', buttonValue(card.args, 'kw_key_request_deny'), ADMIN_USER);
    const opened = (await h.slack.waitFor((c: any) => c.kind === 'api' && c.method === 'views.open', { from })) as any;
    expect(opened.args.view.callback_id).toBe('kw_key_request_deny');
    const metadata = JSON.parse(opened.args.view.private_metadata);
    expect(metadata.responseUrl).toContain(deny.responseId);
    const blank = await h.submitView(opened.args.view, { kw_deny_reason: { value: { type: 'plain_text_input', value: '  ' } } }, ADMIN_USER);
    expect(await blank.json()).toMatchObject({ response_action: 'errors', errors: { kw_deny_reason: expect.stringContaining('Say why') } });
    const submitted = await h.submitView(opened.args.view, { kw_deny_reason: { value: { type: 'plain_text_input', value: 'use the shared load-test key' } } }, ADMIN_USER);
    expect(submitted.status).toBe(200);
    expect(textOf((await h.answer(deny.responseId)).body)).toContain('Denied request');
    const notice = (await h.slack.waitFor((c: any) => dmTo(MEMBER_USER)(c) && textOf(c.args).includes('denied'), { from })) as any;
    expect(textOf(notice.args)).toContain('use the shared load-test key');
  });

  it('`collect <request-id>` collects an approved key once, ephemerally, for its requester only', async () => {
    const from = h.slack.calls.length;
    await h.answer((await h.command('request "by command" --type viewer --reason "typed"', MEMBER_USER)).responseId);
    const card = (await h.slack.waitFor((c: any) => dmTo(ADMIN_USER)(c) && textOf(c.args).includes('by command'), { from })) as any;
    const { requestId } = JSON.parse(buttonValue(card.args, 'kw_key_request_approve'));
    await h.answer((await h.click('kw_key_request_approve', buttonValue(card.args, 'kw_key_request_approve'), ADMIN_USER)).responseId);

    expect(keysIn(await h.answer((await h.command(`collect ${requestId}`, ADMIN_USER)).responseId))).toEqual([]);
    const mine = await h.answer((await h.command(`collect ${requestId}`, MEMBER_USER)).responseId);
    expect(mine.body.response_type).toBe('ephemeral');
    expect(keysIn(mine)).toHaveLength(1);
    expect(textOf((await h.answer((await h.command(`collect ${requestId}`, MEMBER_USER)).responseId)).body)).toContain('already collected');
    expect(textOf((await h.answer((await h.command('collect nonsense', MEMBER_USER)).responseId)).body)).toContain('Which request?');
  });
});

describe('Slack approval cards for requests made elsewhere', () => {
  const h = useSlackHarness();

  it('a request made through the API reaches the admin’s DM with the 5-minute job (the Lambda’s schedule), once', async () => {
    const lambda = createSlackLambdaHandler({
      apiBaseUrl: h.stack.url,
      slackApiUrl: h.slack.apiUrl,
      secrets: new StaticSecretsProvider({
        slack: { signingSecret: SIGNING_SECRET, botToken: 'xoxb-test' },
        botViewerKeys: h.stack.secrets.botViewerKeys,
        botAssertion: h.stack.secrets.botAssertion,
      }),
      dispatch: () => async () => undefined,
    });
    const context = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:keywarden-test-slack' } as Context;
    const viewer = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'api asker', type: 'viewer' } })).body as { key: string };
    const asked = await h.stack.json('/v1/key-requests', { key: viewer.key, body: { name: 'from the api', reason: 'a script' } });
    expect(asked.status).toBe(201);
    const cards = () => h.slack.calls.filter((c: any) => c.kind === 'api' && c.method === 'chat.postMessage' && c.args.channel === 'DADMIN' && textOf(c.args).includes('from the api'));
    expect((await lambda(BUDGET_ALERTS_EVENT, context)).statusCode).toBe(200);
    expect(cards()).toHaveLength(1);
    expect(textOf((cards()[0] as any).args)).toContain(asked.body.id);
    await Promise.all([lambda(BUDGET_ALERTS_EVENT, context), lambda(BUDGET_ALERTS_EVENT, context)]);
    expect(cards()).toHaveLength(1);
  });
});
