import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeywardenClient } from '../../../bots/core';
import { findLeaks } from '../../../bots/core/leak-guard';
import { startTestStack, type TestStack } from '../../support/local-stack';

const ADMIN = 'slack:T1:UADMIN';
const MEMBER = 'slack:T1:UMEMBER';

/**
 * The leak guard's core against the real local stack: a posted key goes through the exposure
 * pipeline (`POST /v1/bots/leaks`); when that cannot be asked, it falls back to the check and the
 * one-click revoke, so a leak is never silent.
 */
describe('findLeaks', () => {
  let stack: TestStack;
  const client = (fetchImpl: typeof fetch = fetch) =>
    new KeywardenClient({ baseUrl: `${stack.url}/v1`, viewerKey: stack.secrets.botViewerKeys!.slack, assertionSecret: stack.secrets.botAssertion.current, bot: 'slack', fetch: fetchImpl });
  const newKey = async (name: string) => (await stack.json('/v1/keys', { key: stack.adminKey, body: { name, type: 'viewer' } })).body as { id: string; key: string };

  beforeAll(async () => {
    stack = await startTestStack({ KEYWARDEN_ADMINS: ADMIN });
  });
  afterAll(() => stack?.stop());

  it('a live key is revoked through the pipeline; seen again, nothing more is said', async () => {
    const leaked = await newKey('leaked once');
    const [finding] = await findLeaks(client(), `x ${leaked.key}`, MEMBER, 'https://chat.example/m/1', Date.now());
    expect(finding).toMatchObject({ handled: 'revoked', key: { id: leaked.id, status: 'revoked', exposure: { source: 'chat', location: 'https://chat.example/m/1' } } });
    expect(finding!.revoke).toBeUndefined();
    expect(finding!.poster).toMatchObject({ audience: 'poster', handled: 'revoked' });
    expect(await findLeaks(client(), `again ${leaked.key}`, MEMBER, 'https://chat.example/m/2', Date.now())).toEqual([]);
    // The first location stays: where it was first seen.
    expect((await stack.json(`/v1/keys/${leaked.id}`, { key: stack.adminKey })).body.exposure.location).toBe('https://chat.example/m/1');
  });

  it('when the pipeline cannot be asked, the key is checked and the one-click revoke offered instead', async () => {
    const leaked = await newKey('pipeline down');
    const down: typeof fetch = (input, init) =>
      new URL(String(input)).pathname === '/v1/bots/leaks' ? Promise.resolve(new Response('{"error":{"code":"unavailable","message":"down"}}', { status: 503 })) : fetch(input, init);
    const [finding] = await findLeaks(client(down), `x ${leaked.key}`, ADMIN, 'https://chat.example/m/3', Date.now());
    expect(finding).toMatchObject({ handled: null, key: { id: leaked.id, status: 'active' }, revoke: { op: 'revoke', keyId: leaked.id, origin: 'leak' } });
    // The poster is an admin: their alert offers the revoke too.
    expect(finding!.poster.revoke).toMatchObject({ op: 'revoke' });
    expect((await stack.json(`/v1/keys/${leaked.id}`, { key: stack.adminKey })).body).toMatchObject({ status: 'active', exposure: null });
  });
});
