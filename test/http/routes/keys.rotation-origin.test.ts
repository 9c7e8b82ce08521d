import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../../lambdas/core/actor-assertion';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * `origin` on rotate (issue 25 point 4): the chat conversation a person rotated a key in, kept on
 * the replacement as `rotatedIn` so the straggler job can tell it. Only a bot acting for a person
 * may name one, in the person's own workspace — a key alone (or the console) naming one is 400 and
 * nothing is rotated, as with a key request's channel.
 */
let stack: TestStack;
let viewerKey: string;
let viewerId: string;
const ADMIN = 'slack:T1:UORIGIN';
const TEAMS_ADMIN = 'teams:tenant1:aad-origin';

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_ADMINS: `${ADMIN},${TEAMS_ADMIN}` });
  viewerKey = stack.secrets.botViewerKeys!.slack;
  viewerId = (await stack.json('/v1/me', { key: viewerKey })).body.id;
});
afterAll(async () => stack?.stop());

const asPerson = (sub = ADMIN) => ({ [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub, bot: 'slack', kid: viewerId }) });
const issue = async (name: string) => (await stack.json('/v1/keys', { key: stack.adminKey, body: { name, type: 'viewer' } })).body as { id: string };
const get = async (id: string) => (await stack.json(`/v1/keys/${id}`, { key: stack.adminKey })).body;

describe('rotate with an origin', () => {
  it('a bot acting for a person: kept on the replacement as rotatedIn, shown in its JSON; the old key has none', async () => {
    const target = await issue('rotated in a thread');
    const origin = { channel: 'slack:T1:C1', thread: '1700000000.000100' };
    const res = await stack.json(`/v1/keys/${target.id}/rotate`, { key: viewerKey, body: { overlap: '1h', origin }, headers: asPerson() });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.rotatedIn).toEqual(origin);
    expect((await get(res.body.id)).rotatedIn).toEqual(origin);
    expect((await get(target.id)).rotatedIn).toBeNull();
  });

  it('none: rotatedIn is null', async () => {
    const target = await issue('rotated in a DM');
    const res = await stack.json(`/v1/keys/${target.id}/rotate`, { key: viewerKey, body: {}, headers: asPerson() });
    expect(res.status).toBe(201);
    expect(res.body.rotatedIn).toBeNull();
  });

  it('a key alone naming an origin is refused 400, and nothing is rotated', async () => {
    const target = await issue('forged origin');
    const res = await stack.json(`/v1/keys/${target.id}/rotate`, { key: stack.adminKey, body: { origin: { channel: 'slack:T1:C1' } } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('Only a bot acting for a person');
    expect(await get(target.id)).toMatchObject({ status: 'active', replacedBy: null });
  });

  it.each([
    ['another workspace', { channel: 'slack:T2:C1' }, 'workspace'],
    ['the other platform', { channel: 'teams:T1:19:x@thread.tacv2', serviceUrl: 'https://smba.example/' }, 'workspace'],
    ['a malformed thread', { channel: 'slack:T1:C1', thread: 'not-a-ts' }, 'thread'],
    ['a serviceUrl on Slack', { channel: 'slack:T1:C1', serviceUrl: 'https://smba.example/' }, 'serviceUrl'],
    ['a non-https serviceUrl', { channel: 'slack:T1:C1', serviceUrl: 'http://evil.example/' }, 'serviceUrl'],
    ['an unknown field', { channel: 'slack:T1:C1', user: 'U1' }, ''],
  ])('%s is refused 400, nothing rotated', async (_, origin, says) => {
    const target = await issue(`bad origin ${_}`);
    const res = await stack.json(`/v1/keys/${target.id}/rotate`, { key: viewerKey, body: { origin }, headers: asPerson() });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(says);
    expect(await get(target.id)).toMatchObject({ status: 'active', replacedBy: null });
  });
});

describe('a Teams origin', () => {
  const asTeamsPerson = async () => {
    const key = stack.secrets.botViewerKeys!.teams;
    const kid = (await stack.json('/v1/me', { key })).body.id;
    return { key, headers: { [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub: TEAMS_ADMIN, bot: 'teams', kid }) } };
  };
  const channel = 'teams:tenant1:19:general@thread.tacv2';

  it('keeps its conversation, thread root and serviceUrl', async () => {
    const target = await issue('rotated in a Teams thread');
    const origin = { channel, thread: '1700000000123', serviceUrl: 'https://smba.trafficmanager.net/emea/' };
    const res = await stack.json(`/v1/keys/${target.id}/rotate`, { ...(await asTeamsPerson()), body: { overlap: '1h', origin } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.rotatedIn).toEqual(origin);
  });

  it.each([
    ['no serviceUrl', { channel }],
    ['a serviceUrl that is neither https nor loopback', { channel, serviceUrl: 'http://127.0.0.1.evil.example/' }],
    ['a thread that is no message id', { channel, serviceUrl: 'https://smba.trafficmanager.net/emea/', thread: '1;messageid=2' }],
  ])('%s is refused 400', async (_, origin) => {
    const target = await issue(`bad Teams origin ${_}`);
    const res = await stack.json(`/v1/keys/${target.id}/rotate`, { ...(await asTeamsPerson()), body: { origin } });
    expect(res.status).toBe(400);
    expect(await get(target.id)).toMatchObject({ status: 'active', replacedBy: null });
  });
});
