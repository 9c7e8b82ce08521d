/**
 * Leased credits (issue 23 point 1, adapters/store/key-lease.ts), on real parts: the store on
 * dynalite, the model call's core, the upstream adapter against a stand-in upstream on 127.0.0.1.
 * Counted at the DynamoDB client (the SDK's middleware and the lean transport's interceptor),
 * as bench/round-trips.ts counts.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { ensureTable, startDynalite, type DynaliteServer } from '../../lambdas/adapters/dynalite-server';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { grantAttribute, leaseId, leaseIdTime } from '../../lambdas/adapters/store/key-lease';
import { itemKey } from '../../lambdas/adapters/store/table';
import { loadConfig } from '../../lambdas/config';
import { callModel, type KeyAdmission, type ModelCallPorts, type ModelCallRequest } from '../../lambdas/core/model-call';
import type { ModelCallAdmission } from '../../lambdas/core/ports';
import { buildServices, type Services } from '../../lambdas/services';
import { startStandInUpstream, type StandInUpstream } from '../http/openai-relay/stand-in-upstream';

let dynalite: DynaliteServer;
let upstream: StandInUpstream;
let services: Services;
let ports: ModelCallPorts;
const secrets = new StaticSecretsProvider({ hashing: { current: 'test-hashing-secret' }, upstream: { apiKey: 'sk-platform' } });

/** Every store command: its operation, whether it writes, the item family it names (ACCOUNT / KEY / other), and whether the upstream had been called yet. */
const commands: Array<{ op: string; write: boolean; item: string; beforeUpstream: boolean }> = [];
let upstreamCalled = false;
const WRITES = new Set(['UpdateItem', 'PutItem', 'DeleteItem', 'BatchWriteItem']);

beforeAll(async () => {
  [dynalite, upstream] = await Promise.all([startDynalite(), startStandInUpstream()]);
  const dynamo = createDynamoClient(dynalite.endpoint);
  await ensureTable(dynamo, 'leases-test');
  const config = loadConfig({ TABLE_NAME: 'leases-test', DYNAMODB_ENDPOINT: dynalite.endpoint, UPSTREAM_BASE_URL: upstream.baseUrl, MODELS: 'archibot=gpt-up' });
  services = buildServices(config, { dynamo, secrets });
  const record = (op: string, item: string) => commands.push({ op, write: WRITES.has(op), item, beforeUpstream: !upstreamCalled });
  services.dynamo.middlewareStack.add(
    (next, context) => (args) => {
      const key = (args.input as { Key?: { pk?: { S?: string } | string } }).Key;
      const pk = typeof key?.pk === 'string' ? key.pk : key?.pk?.S;
      // The balance item (ACCOUNT), apart from the listing of its leasing keys (ACCOUNT#…#LEASES).
      record(String(context.commandName).replace(/Command$/, ''), pk?.endsWith('#LEASES') ? 'LEASES' : (pk?.split('#')[0] ?? 'other'));
      return next(args);
    },
    { step: 'deserialize', name: 'leaseTestCounter', priority: 'high' },
  );
  // The lean transport carries the key's admission and release writes, and the usage records.
  services.dynamoWire.intercept((call, next) => {
    record(call.operation, call.purpose === 'usage' ? 'other' : 'KEY');
    return next();
  });
  const forward = services.upstream.forward.bind(services.upstream);
  const upstreamPort = { ...services.upstream, label: services.upstream.label, forward: (...args: Parameters<typeof forward>) => ((upstreamCalled = true), forward(...args)) };
  ports = { ...services, upstream: upstreamPort, logger: { warn: () => undefined } };
});
afterAll(async () => {
  // Direct store calls bypass the after-answer work that settles lease work: settle it first.
  await services?.store.leasesSettled();
  services?.dynamo.destroy();
  await Promise.all([dynalite?.close(), upstream?.close()]);
});

async function account(credits: number): Promise<{ accountId: string; projectId: string }> {
  const created = await services.operator.createAccount({ name: 'leases', apiAccess: true, credits });
  const { project } = await services.operator.createProject({ accountId: created.id, name: 'p', actor: 'test' });
  return { accountId: created.id, projectId: project.id };
}

async function key(projectId: string): Promise<{ id: string; raw: string }> {
  const issued = await services.keys.create({ kind: 'operator', actor: 'test', projectId }, { name: 'caller', rateLimit: { limit: 100_000, windowSeconds: 60 } });
  return { id: issued.key.id, raw: issued.secret };
}

function request(raw: string): ModelCallRequest {
  return {
    model: 'archibot',
    stream: false,
    path: '/responses',
    body: (model) => JSON.stringify({ model: model.upstream, input: 'Hello' }),
    bearer: raw,
    async admit(admission?: ModelCallAdmission): Promise<KeyAdmission> {
      const check = await services.auth.authenticate(raw, admission);
      if (check.result === 'over_limit') return check;
      if (check.result !== 'valid') throw new Error(`not admitted: ${check.result}`);
      return { result: 'valid', key: check.key, ...(check.hold ? { hold: check.hold } : {}) };
    },
  };
}

/** One model call, answered and settled: what it charged (0 when refused). */
async function modelCall(raw: string): Promise<number> {
  upstreamCalled = false;
  const outcome = await callModel(ports, request(raw));
  if (outcome.kind !== 'answered') return 0;
  const bill = outcome.bill({ totalTokens: 20, inputTokens: 12, outputTokens: 8 });
  await (await bill.settle()).written;
  return bill.charged;
}

const shown = async (accountId: string) => (await services.store.getAccount(accountId))!.credits;
const rawItem = async (key: Record<string, string>) =>
  (await services.dynamo.send(new (await import('@aws-sdk/lib-dynamodb')).GetCommand({ TableName: 'leases-test', Key: key, ConsistentRead: true }))).Item ?? {};
const round = (n: number) => Math.round(n * 1e6) / 1e6;

describe('leased credits', { timeout: 60_000 }, () => {
  it('a warm model call makes exactly one write before the upstream: its admission on the key item', async () => {
    const { projectId } = await account(1_000);
    const caller = await key(projectId);
    await modelCall(caller.raw); // cold: the key's first lease is taken here
    await modelCall(caller.raw);
    // The lease's take leaves its grant's removal on the account item to a 1 s timer (outside an HTTP
    // request nothing settles it sooner): settle it first, or on a busy machine it lands among the 10 calls.
    await services.store.leasesSettled();
    commands.length = 0;
    for (let i = 0; i < 10; i++) await modelCall(caller.raw);
    // Per call: the one write before the upstream, then (after) its release and its usage record.
    const before = commands.filter((c) => c.beforeUpstream && c.write);
    expect(before.map((c) => `${c.op} ${c.item}`)).toEqual(Array.from({ length: 10 }, () => 'UpdateItem KEY'));
    expect(commands.filter((c) => c.item === 'ACCOUNT' && c.write)).toEqual([]);
  });

  it('N calls write the account item about N/20 times or fewer (a lease is 20 reservations), not 2N', async () => {
    // 20 reservations of 1 credit; each call costs ≈ 0.01, so the lease lasts. Small balance: a quarter of it at a time.
    const { accountId, projectId } = await account(40);
    const callers = await Promise.all([key(projectId), key(projectId)]);
    commands.length = 0;
    const CALLS = 200;
    const each = await Promise.all(
      callers.map(async (caller) => {
        let sum = 0;
        for (let i = 0; i < CALLS / 2; i++) sum += await modelCall(caller.raw);
        return sum;
      }),
    );
    const charged = each[0]! + each[1]!;
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // the deferred grant removals
    const accountWrites = commands.filter((c) => c.item === 'ACCOUNT' && c.write).length;
    console.log(`account-item writes for ${CALLS} calls: ${accountWrites}`);
    expect(accountWrites).toBeLessThanOrEqual(CALLS / 20);
    expect(round(await shown(accountId))).toBe(round(40 - charged));
  });

  it('calls charged their whole reservation drain a lease every 20 calls: the account is written once per lease (its removals ride along)', async () => {
    const { accountId, projectId } = await account(1_000);
    const caller = await key(projectId);
    const spend = async () => {
      const check = await services.auth.authenticate(caller.raw, { reserve: 1 });
      if (check.result !== 'valid' || check.hold?.credits?.refused) throw new Error('refused');
      await services.store.releaseKeyUse(check.key.id, { hold: check.hold!, charge: 1, tokens: 0 }, Date.now());
    };
    await spend();
    commands.length = 0;
    for (let i = 0; i < 100; i++) await spend();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const accountWrites = commands.filter((c) => c.item === 'ACCOUNT' && c.write).length;
    console.log(`account-item writes per 100 calls charged their reservation: ${accountWrites}`);
    // 5 leases; each lease's removal rides on the next lease's write, or goes alone after 1 s on a slow machine.
    expect(accountWrites).toBeGreaterThanOrEqual(5);
    expect(accountWrites).toBeLessThanOrEqual(2 * 5 + 2);
    expect(await shown(accountId)).toBe(1_000 - 101);
  });

  it('the balance shown is exact while leases are out: unleased credits plus every key’s lease, grants half-done included', async () => {
    const { accountId, projectId } = await account(100);
    const callers = await Promise.all([key(projectId), key(projectId), key(projectId)]);
    const each = await Promise.all(callers.map(async (c) => (await modelCall(c.raw)) + (await modelCall(c.raw))));
    const charged = each.reduce((a, b) => a + b, 0);
    const item = await rawItem(itemKey.account(accountId));
    expect(Number(item.credits)).toBeLessThan(100 - charged - 1); // the leases are out
    expect(await shown(accountId)).toBe(round(100 - charged));
    // A lease given back (revoked): the balance shown does not move.
    await services.store.revokeKey(callers[0]!.id, new Date().toISOString());
    expect(await shown(accountId)).toBe(round(100 - charged));
  });

  it('a grant whose key write never happened (its writer died) is given back by the sweep, and can never land after', async () => {
    const { accountId, projectId } = await account(50);
    const caller = await key(projectId);
    // Step 1 of a take, as a writer that died right after it would leave it.
    const g = leaseId(Date.now() - 3 * 60_000);
    await services.dynamo.send(
      new UpdateCommand({
        TableName: 'leases-test',
        Key: itemKey.account(accountId),
        UpdateExpression: 'SET credits = credits - :b, #g = :grant ADD lv :one',
        ExpressionAttributeNames: { '#g': grantAttribute(g) },
        ExpressionAttributeValues: { ':b': 10, ':grant': { k: caller.id, b: 10, t: leaseIdTime(g) }, ':one': 1 },
      }),
    );
    await services.dynamo.send(new PutCommand({ TableName: 'leases-test', Item: { ...itemKey.leaseListing(accountId, caller.id), keyId: caller.id } }));
    expect(Number((await rawItem(itemKey.account(accountId))).credits)).toBe(40);
    expect(await shown(accountId)).toBe(50); // the grant is counted until it is settled one way or the other
    const report = await services.store.sweepLeases(accountId, Date.now());
    expect(report.grantsReturned).toBe(1);
    const after = await rawItem(itemKey.account(accountId));
    expect(Number(after.credits)).toBe(50);
    expect(after[grantAttribute(g)]).toBeUndefined();
    expect([...((await rawItem(itemKey.key(caller.id))).leaseDead as Set<string>)]).toEqual([g]);
    // A second sweep finds nothing; the balance stays whole.
    expect((await services.store.sweepLeases(accountId, Date.now())).grantsReturned).toBe(0);
    expect(await shown(accountId)).toBe(50);
  });

  it('a revoked key’s lease goes back to the account; a deleted key’s too', async () => {
    const { accountId, projectId } = await account(80);
    const [revoked, deleted, other] = await Promise.all([key(projectId), key(projectId), key(projectId)]);
    let charged = 0;
    for (const c of [revoked, deleted, other]) charged += await modelCall(c.raw);
    expect(Number((await rawItem(itemKey.key(revoked.id))).lease)).toBeGreaterThan(0);
    await services.store.revokeKey(revoked.id, new Date().toISOString());
    expect(Number((await rawItem(itemKey.key(revoked.id))).lease)).toBe(0);
    await services.store.deleteKey(deleted.id);
    expect(await rawItem(itemKey.key(deleted.id))).toEqual({});
    const item = await rawItem(itemKey.account(accountId));
    expect(round(Number(item.credits) + Number((await rawItem(itemKey.key(other.id))).lease))).toBe(round(80 - charged));
    expect(await shown(accountId)).toBe(round(80 - charged));
  });

  it('an idle key’s lease flows back with the sweep', async () => {
    const { accountId, projectId } = await account(30);
    const caller = await key(projectId);
    const charged = await modelCall(caller.raw);
    expect(Number((await rawItem(itemKey.key(caller.id))).lease)).toBeGreaterThan(0);
    expect((await services.store.sweepLeases(accountId, Date.now())).leasesReturned).toBe(0); // not idle yet
    expect((await services.store.sweepLeases(accountId, Date.now() + 11 * 60_000)).leasesReturned).toBe(1);
    expect(Number((await rawItem(itemKey.key(caller.id))).lease)).toBe(0);
    expect(Number((await rawItem(itemKey.account(accountId))).credits)).toBe(round(30 - charged));
  });

  it('a debt on one key refuses the account’s other keys too: the debt moves to the account, their leases come back', async () => {
    const { accountId, projectId } = await account(5);
    const [a, b] = await Promise.all([key(projectId), key(projectId)]);
    const admit = async (raw: string) => {
      const check = await services.auth.authenticate(raw, { reserve: 1 });
      if (check.result !== 'valid') throw new Error(check.result);
      return { id: check.key.id, hold: check.hold!, refused: check.hold!.credits?.refused };
    };
    const release = (c: Awaited<ReturnType<typeof admit>>, charge: number) => services.store.releaseKeyUse(c.id, { hold: c.hold, charge, tokens: 0 }, Date.now());
    await release(await admit(a.raw), 0.5); // a holds what is left of its lease
    const big = await admit(b.raw);
    expect(big.refused).toBeUndefined();
    await release(big, 10); // served beyond the balance: charged whole, b's lease in debt
    expect(await shown(accountId)).toBe(-5.5);
    for (const raw of [b.raw, a.raw]) {
      const next = await admit(raw);
      expect(next.refused).toBe('insufficient');
      await release(next, 0);
    }
    expect(Number((await rawItem(itemKey.account(accountId))).credits)).toBe(-5.5);
    expect(await shown(accountId)).toBe(-5.5);
    await services.operator.adjustCredits(accountId, 10);
    expect((await admit(a.raw)).refused).toBeUndefined();
  });

  it('concurrent keys on one small balance never overspend: exactly the balance’s worth admitted, every lease accounted for', async () => {
    for (const [credits, keys, calls] of [
      [10, 3, 60],
      [7, 5, 40],
      [3, 2, 30],
    ] as const) {
      const { accountId, projectId } = await account(credits);
      const callers = await Promise.all(Array.from({ length: keys }, () => key(projectId)));
      // Reservation 1, price 1 (charged whole): the balance covers exactly `credits` calls, whoever holds the leases.
      const outcomes = await Promise.all(
        Array.from({ length: calls }, async (_, i) => {
          const raw = callers[i % keys]!.raw;
          const check = await services.auth.authenticate(raw, { reserve: 1 });
          if (check.result !== 'valid') throw new Error(check.result);
          const held = check.hold!;
          if (held.credits?.refused) {
            await services.store.releaseKeyUse(check.key.id, { hold: held, charge: 0, tokens: 0 }, Date.now());
            return 0;
          }
          await services.store.releaseKeyUse(check.key.id, { hold: held, charge: 1, tokens: 0 }, Date.now());
          return 1;
        }),
      );
      const admitted = outcomes.reduce<number>((a, b) => a + b, 0);
      expect(admitted, `${credits} credits over ${keys} keys`).toBeLessThanOrEqual(credits);
      expect(await shown(accountId)).toBe(credits - admitted);
      // Nothing is stranded in another key's lease: one key alone, one call at a time, gets the rest.
      let more = 0;
      for (let i = 0; i < credits + 2; i++) {
        const check = await services.auth.authenticate(callers[0]!.raw, { reserve: 1 });
        if (check.result !== 'valid') throw new Error(check.result);
        const refused = check.hold!.credits?.refused;
        await services.store.releaseKeyUse(check.key.id, { hold: check.hold!, charge: refused ? 0 : 1, tokens: 0 }, Date.now());
        if (!refused) more += 1;
      }
      expect(admitted + more).toBe(credits);
      expect(await shown(accountId)).toBe(0);
      expect(Number((await rawItem(itemKey.account(accountId))).credits)).toBeGreaterThanOrEqual(0);
    }
  });
});
