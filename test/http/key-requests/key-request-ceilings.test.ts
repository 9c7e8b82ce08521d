import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../../lambdas/core/actor-assertion';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * Per-channel ceilings on key requests (issue 25 point 1), through the HTTP API against dynalite:
 * an admin sets one; a request from that channel beyond it is refused with the reason and nothing
 * is stored, within it passes; another channel is not bound; only a bot acting for a person names
 * a channel; only a key manager sets one; a ceiling lowered after a request binds its approval.
 */
let stack: TestStack;
let botKey: string;
let botKeyId: string;
const ROOM = 'slack:T1:CROOM';
const OTHER_ROOM = 'slack:T1:COTHER';

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_ADMINS: 'slack:T1:UADMIN' });
  botKey = stack.secrets.botViewerKeys!.slack;
  botKeyId = (await stack.json('/v1/me', { key: botKey })).body.id;
});
afterAll(async () => stack?.stop());

const as = (sub: string) => ({ [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub, bot: 'slack', kid: botKeyId }) });
const ask = (who: string, body: Record<string, unknown>) => stack.json('/v1/key-requests', { key: botKey, body: { reason: 'r', ...body }, headers: as(who) });
const setCeiling = (who: string, channel: string, ceiling: Record<string, unknown>) =>
  stack.json('/v1/key-requests/ceilings', { key: botKey, body: { channel, ceiling }, headers: as(who) });

describe('request ceilings per channel', () => {
  it('an admin sets one through the bot; beyond it is refused with the reason and nothing stored, within it passes, another channel is not bound', async () => {
    const set = await setCeiling('slack:T1:UADMIN', ROOM, { type: 'viewer', budget: { credits: 20, period: 'month' }, expiresIn: '30d' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ object: 'key_request_ceiling', channel: ROOM, version: 1, setBy: 'slack:T1:UADMIN', ceiling: { type: 'viewer', budget: { credits: 20, period: 'month' }, maxLifetimeSeconds: 30 * 86_400, scopes: null } });
    const read = await stack.json(`/v1/key-requests/ceilings?channel=${encodeURIComponent(ROOM)}`, { key: stack.adminKey });
    expect(read.body).toMatchObject({ channel: ROOM, version: 1 });

    const beyond = await ask('slack:T1:UMEMBER', { name: 'wide', type: 'privileged', budget: { credits: 50, period: 'month' }, channel: ROOM });
    expectApiError(beyond, 403, 'insufficient_permissions');
    expect(beyond.body.error.message).toContain('Requests from this channel cannot ask for a privileged key (this channel allows viewer keys at most)');
    expect(beyond.body.error.message).toContain('50/month (this channel allows at most 20/month)');
    expect(beyond.body.error.message).toContain('the default lifetime (this channel allows 30d at most)');
    const mine = await stack.json('/v1/key-requests', { key: botKey, headers: as('slack:T1:UMEMBER') });
    expect(mine.body.data).toEqual([]);

    const within = await ask('slack:T1:UMEMBER', { name: 'narrow', type: 'viewer', budget: { credits: 10, period: 'month' }, expiresIn: '7d', channel: ROOM });
    expect(within.status).toBe(201);
    expect(within.body).toMatchObject({ channel: ROOM, status: 'pending' });

    const elsewhere = await ask('slack:T1:UMEMBER', { name: 'wide', type: 'privileged', channel: OTHER_ROOM });
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.channel).toBe(OTHER_ROOM);

    const audit = await stack.json('/v1/audit?actor=slack:T1:UMEMBER', { key: stack.adminKey });
    expect(audit.body.data.map((r: { action: string; outcome: string }) => [r.action, r.outcome])).toEqual(expect.arrayContaining([['key_request.create', 'denied']]));
  });

  it('only a bot acting for a person names a channel: from a key alone it is a 400; a channel of another workspace or malformed is a 400', async () => {
    const direct = await stack.json('/v1/key-requests', { key: stack.adminKey, body: { name: 'direct', reason: 'r', channel: ROOM } });
    expectApiError(direct, 400, 'invalid_request_error');
    const botAlone = await stack.json('/v1/key-requests', { key: botKey, body: { name: 'bot alone', reason: 'r', channel: ROOM } });
    expectApiError(botAlone, 400, 'invalid_request_error');
    expectApiError(await ask('slack:T1:UMEMBER', { name: 'far', channel: 'slack:T2:CROOM' }), 400, 'invalid_request_error');
    expectApiError(await ask('slack:T1:UMEMBER', { name: 'teams', channel: 'teams:tenant:19:x@thread.tacv2' }), 400, 'invalid_request_error');
    for (const channel of ['slack:T1:C ROOM', 'slack:T1', `slack:T1:${'C'.repeat(200)}`, 'email:x:y']) {
      expectApiError(await ask('slack:T1:UMEMBER', { name: 'bad', channel }), 400, 'invalid_request_error');
    }
    expect((await stack.json('/v1/key-requests?status=pending', { key: stack.adminKey })).body.data.map((r: { key: { name: string } }) => r.key.name)).not.toEqual(
      expect.arrayContaining(['direct', 'bot alone', 'far', 'teams', 'bad']),
    );
  });

  it('a member cannot set, read or clear a ceiling (403); a key without keys:write cannot either; an admin key can', async () => {
    expectApiError(await setCeiling('slack:T1:UMEMBER', ROOM, { type: 'privileged' }), 403, 'insufficient_permissions');
    expectApiError(await stack.json(`/v1/key-requests/ceilings?channel=${encodeURIComponent(ROOM)}`, { key: botKey, headers: as('slack:T1:UMEMBER') }), 403, 'insufficient_permissions');
    expectApiError(await stack.json(`/v1/key-requests/ceilings?channel=${encodeURIComponent(ROOM)}`, { key: botKey, method: 'DELETE', headers: as('slack:T1:UMEMBER') }), 403, 'insufficient_permissions');
    expectApiError(await stack.json('/v1/key-requests/ceilings', { key: botKey, body: { channel: ROOM, ceiling: {} } }), 403, 'insufficient_permissions');
    expect((await stack.json(`/v1/key-requests/ceilings?channel=${encodeURIComponent(ROOM)}`, { key: stack.adminKey })).body.ceiling.type).toBe('viewer');

    const byKey = await stack.json('/v1/key-requests/ceilings', { key: stack.adminKey, body: { channel: 'teams:tenant-1:19:abc@thread.tacv2', ceiling: { scopes: ['models:read'] } } });
    expect(byKey.status).toBe(200);
    const cleared = await stack.json(`/v1/key-requests/ceilings?channel=${encodeURIComponent('teams:tenant-1:19:abc@thread.tacv2')}`, { key: stack.adminKey, method: 'DELETE' });
    expect(cleared.body).toMatchObject({ deleted: true });
    expectApiError(await stack.json(`/v1/key-requests/ceilings?channel=${encodeURIComponent('teams:tenant-1:19:abc@thread.tacv2')}`, { key: stack.adminKey }), 404, 'not_found');
    for (const body of [{ channel: 'nope', ceiling: {} }, { channel: ROOM, ceiling: { type: 'system' } }, { channel: ROOM, ceiling: { scopes: ['root'] } }, { channel: ROOM, ceiling: { extra: 1 } }, { channel: ROOM }]) {
      expectApiError(await stack.json('/v1/key-requests/ceilings', { key: stack.adminKey, body }), 400, 'invalid_request_error');
    }
  });

  it('a ceiling lowered after a request binds its approval: refused with the reason, nothing minted, still pending', async () => {
    const room = 'slack:T1:CLOWER';
    const id = (await ask('slack:T1:UMEMBER3', { name: 'before', type: 'privileged', scopes: ['models:read', 'keys:read'], channel: room })).body.id as string;
    expect((await setCeiling('slack:T1:UADMIN', room, { scopes: ['models:read'] })).status).toBe(200);
    const refused = await stack.json(`/v1/key-requests/${id}/approve`, { key: botKey, method: 'POST', headers: as('slack:T1:UADMIN') });
    expectApiError(refused, 403, 'insufficient_permissions');
    expect(refused.body.error.message).toContain('the scopes keys:read (this channel allows models:read)');
    expect((await stack.services.store.getKeyRequest(id))?.status).toBe('pending');
    expect((await stack.services.store.listKeys(stack.bootstrap.projectId, { limit: 200 })).items.filter((k) => k.name === 'before')).toEqual([]);

    // Raised again (a second set replaces the first, version 2), the same request is approved.
    const raised = await setCeiling('slack:T1:UADMIN', room, { scopes: ['models:read', 'keys:read'] });
    expect(raised.body.version).toBe(2);
    expect((await stack.json(`/v1/key-requests/${id}/approve`, { key: stack.adminKey, method: 'POST' })).status).toBe(200);
  });
});
