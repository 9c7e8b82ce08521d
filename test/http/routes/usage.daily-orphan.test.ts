import { afterAll, beforeAll, expect, it } from 'vitest';
import { utcDay } from '../../../lambdas/core/usage';
import { answerFixed, startStandInUpstream, type StandInUpstream } from '../openai-relay/stand-in-upstream';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { createKey } from '../openai-relay/stack-helpers';

/**
 * A key deleted while its model call is at the upstream: the call's settlement finds the key gone
 * (store/key-release.ts `settleOrphans`). What it would have given the key's lease goes to the
 * account, and the call it counts goes to the key's day item — the account's days are summed from
 * its keys' (store/usage-days.ts), so without it the account's day would be short of the call its
 * usage log holds. Through the HTTP stack, the upstream a stand-in on 127.0.0.1 held until the
 * delete has returned.
 */
let stack: TestStack;
let upstream: StandInUpstream;
beforeAll(async () => {
  upstream = await startStandInUpstream();
  stack = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret' });
});
afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

it('a key deleted while its call ran: the account’s day still counts the call, as its usage log does', async () => {
  const { services } = stack;
  const account = await services.operator.createAccount({ name: 'orphan days', apiAccess: true, credits: 100 });
  const { project, automator } = await services.operator.createProject({ accountId: account.id, name: 'p', actor: 'test' });
  const caller = await createKey(stack, { name: 'deleted mid-call', type: 'viewer' }, automator.secret);
  // One call answered first, so the key's item already counts today's calls.
  expect((await stack.json('/v1/responses', { key: caller.key, body: { model: 'archibot', input: 'first' } })).status).toBe(200);
  await stack.idle();

  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  upstream.handle(async (req, res) => {
    await held;
    answerFixed(req, res);
  });
  const arrived = new Promise((resolve) => upstream.events.once('request', resolve));
  const inFlight = stack.json('/v1/responses', { key: caller.key, body: { model: 'archibot', input: 'in flight' } });
  await arrived;
  const gone = await stack.json(`/v1/keys/${caller.id}`, { key: automator.secret, method: 'DELETE' });
  expect(gone.status).toBe(200);
  release();
  expect((await inFlight).status).toBe(200);
  upstream.reset();
  await stack.idle();

  const today = utcDay(stack.clock.now());
  const log = await services.store.queryUsage({ projectId: project.id, keyId: caller.id, limit: 100 });
  expect(log.items).toHaveLength(2);
  const days = await services.store.queryUsageDays({ accountId: account.id }, today, today);
  // The key's two calls, and the automator's: the key's creation and its deletion.
  const all = await services.store.queryUsage({ projectId: project.id, limit: 100 });
  expect(days).toEqual([{ date: today, requests: all.items.length, tokens: all.items.reduce((n, r) => n + (r.usage?.totalTokens ?? 0), 0), credits: Math.round(all.items.reduce((n, r) => n + r.credits, 0) * 1e6) / 1e6 }]);
  // And the money: the account got back what the deleted key's lease held, less what both calls cost.
  const charged = log.items.reduce((n, r) => n + r.credits, 0);
  expect(Math.round(((await services.store.getAccount(account.id))!.credits + charged) * 1e6) / 1e6).toBe(100);
});
