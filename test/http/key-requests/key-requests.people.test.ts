import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../../lambdas/core/actor-assertion';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * People through a bot (SPEC §5): the bot's viewer key plus the person's signed assertion. The
 * requester is the person, not the bot's key: only that person, through the bot, collects the key;
 * a project admin approves through the bot; the audit names both people and the bot.
 */
let stack: TestStack;
let botKey: string;
let botKeyId: string;

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_ADMINS: 'slack:T1:UADMIN' });
  botKey = stack.secrets.botViewerKeys!.slack;
  botKeyId = (await stack.json('/v1/me', { key: botKey })).body.id;
});
afterAll(async () => stack?.stop());

const as = (sub: string) => ({ [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub, bot: 'slack', kid: botKeyId }) });

describe('key requests from people, through a bot', () => {
  it('a member asks, an admin approves in chat, only the member collects the key; the audit names both and the bot', async () => {
    const asked = await stack.json('/v1/key-requests', { key: botKey, body: { name: 'notebook', type: 'viewer', reason: 'analysis' }, headers: as('slack:T1:UMEMBER') });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ requester: 'slack:T1:UMEMBER', viaBot: 'slack' });
    const id = asked.body.id as string;

    // The member is no admin: cannot approve their own request through the bot.
    expectApiError(await stack.json(`/v1/key-requests/${id}/approve`, { key: botKey, method: 'POST', headers: as('slack:T1:UMEMBER') }), 403, 'insufficient_permissions');
    // The member sees their own request; the bot's key alone sees nothing of theirs.
    expect((await stack.json('/v1/key-requests', { key: botKey, headers: as('slack:T1:UMEMBER') })).body.data.map((r: { id: string }) => r.id)).toEqual([id]);
    expect((await stack.json('/v1/key-requests', { key: botKey })).body.data).toEqual([]);

    const approved = await stack.json(`/v1/key-requests/${id}/approve`, { key: botKey, method: 'POST', headers: as('slack:T1:UADMIN') });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: 'slack:T1:UADMIN' });

    // Not the bot's key alone, not another person, not the admin: the member.
    expectApiError(await stack.json(`/v1/key-requests/${id}/claim`, { key: botKey, method: 'POST' }), 403, 'insufficient_permissions');
    expectApiError(await stack.json(`/v1/key-requests/${id}/claim`, { key: botKey, method: 'POST', headers: as('slack:T1:UOTHER') }), 403, 'insufficient_permissions');
    expectApiError(await stack.json(`/v1/key-requests/${id}/claim`, { key: botKey, method: 'POST', headers: as('slack:T1:UADMIN') }), 403, 'insufficient_permissions');
    const claimed = await stack.json(`/v1/key-requests/${id}/claim`, { key: botKey, method: 'POST', headers: as('slack:T1:UMEMBER') });
    expect(claimed.status).toBe(200);
    expect((await stack.json('/v1/me', { key: claimed.body.key })).body).toMatchObject({ id: approved.body.keyId, type: 'viewer', createdBy: 'slack:T1:UADMIN' });

    const audit = await stack.json(`/v1/audit?keyId=${approved.body.keyId}`, { key: stack.adminKey });
    const rows = audit.body.data.map((r: { action: string; actor: string; viaBot?: string }) => [r.action, r.actor, r.viaBot]);
    expect(rows).toEqual(expect.arrayContaining([
      ['key.create', 'slack:T1:UADMIN', 'slack'],
      ['key_request.approve', 'slack:T1:UADMIN', 'slack'],
      ['key_request.claim', 'slack:T1:UMEMBER', 'slack'],
    ]));
    const claimRow = audit.body.data.find((r: { action: string }) => r.action === 'key_request.claim');
    expect(claimRow.details).toMatchObject({ requester: 'slack:T1:UMEMBER', approver: 'slack:T1:UADMIN' });
    expect(JSON.stringify(audit.body)).not.toContain(claimed.body.key);
  });

  it('an assertion asks once: replayed, it is refused and nothing is asked', async () => {
    const headers = as('slack:T1:UREPLAY');
    expect((await stack.json('/v1/key-requests', { key: botKey, body: { name: 'one', reason: 'r' }, headers })).status).toBe(201);
    expectApiError(await stack.json('/v1/key-requests', { key: botKey, body: { name: 'two', reason: 'r' }, headers }), 403, 'insufficient_permissions');
    const mine = await stack.json('/v1/key-requests', { key: botKey, headers: as('slack:T1:UREPLAY') });
    expect(mine.body.data.map((r: { key: { name: string } }) => r.key.name)).toEqual(['one']);
  });

  it('a person admin may deny through the bot; a member may not', async () => {
    const id = (await stack.json('/v1/key-requests', { key: botKey, body: { name: 'nope', reason: 'r' }, headers: as('slack:T1:UMEMBER2') })).body.id as string;
    expectApiError(await stack.json(`/v1/key-requests/${id}/deny`, { key: botKey, body: { reason: 'x' }, headers: as('slack:T1:UMEMBER') }), 403, 'insufficient_permissions');
    const denied = await stack.json(`/v1/key-requests/${id}/deny`, { key: botKey, body: { reason: 'ask your lead' }, headers: as('slack:T1:UADMIN') });
    expect(denied.body).toMatchObject({ status: 'denied', decidedBy: 'slack:T1:UADMIN', denyReason: 'ask your lead' });
  });
});
