import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { ensureTable, startDynalite, type DynaliteServer } from '../../lambdas/adapters/dynalite-server';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { loadConfig } from '../../lambdas/config';
import { Billing } from '../../lambdas/core/billing';
import { buildServices, type Services } from '../../lambdas/services';

/**
 * Billing against a real store (dynalite): what a reservation takes from an account, what a call
 * costs, and what a stream without usage is charged. (A model call settles and refunds in its
 * key's release write: test/adapters/leased-credits.test.ts and the relay's money tests.)
 */
let dynalite: DynaliteServer;
let services: Services;
const PRICING = { perRequest: 1, per1kTokens: 0.5, reserve: 2 };
let billing: Billing;

beforeAll(async () => {
  dynalite = await startDynalite();
  const dynamo = createDynamoClient(dynalite.endpoint);
  await ensureTable(dynamo, 'billing-test');
  const secrets = new StaticSecretsProvider({ hashing: { current: 'test-hashing-secret' } });
  services = buildServices(loadConfig({ TABLE_NAME: 'billing-test', DYNAMODB_ENDPOINT: dynalite.endpoint }), { dynamo, secrets });
  billing = new Billing(services.store, PRICING);
});
afterAll(async () => {
  services?.dynamo.destroy();
  await dynalite?.close();
});

async function account(credits: number, apiAccess = true): Promise<string> {
  return (await services.operator.createAccount({ name: 'billing', apiAccess, credits })).id;
}
const balanceOf = async (id: string) => (await services.store.getAccount(id))!.credits;

describe('Billing', () => {
  it('reserves the larger of the reserve and the per-request price', () => {
    expect(billing.reserveAmount()).toBe(2);
    expect(new Billing(services.store, { ...PRICING, perRequest: 3 }).reserveAmount()).toBe(3);
  });

  it('takes a reservation the balance covers, and states the balance right after it', async () => {
    const id = await account(5);
    expect(await billing.reserve(id, 2)).toEqual({ ok: true, reservation: { accountId: id, amount: 2, balance: 3 } });
    expect(await balanceOf(id)).toBe(3);
  });

  it('refuses a reservation the balance does not cover, an account in debt, and an account with API access off, each with the balance seen', async () => {
    const short = await account(1);
    expect(await billing.reserve(short, 2)).toEqual({ ok: false, refusal: 'insufficient_quota', balance: 1 });
    const inDebt = await account(1);
    await services.store.chargeCredits(inDebt, 3);
    expect(await billing.reserve(inDebt, 2)).toEqual({ ok: false, refusal: 'insufficient_quota', balance: -2 });
    const off = await account(10, false);
    expect(await billing.reserve(off, 2)).toEqual({ ok: false, refusal: 'api_access_disabled', balance: 10 });
    expect([await balanceOf(short), await balanceOf(inDebt), await balanceOf(off)]).toEqual([1, -2, 10]);
  });

  it('prices by reported usage, and per request without it, to 10⁻⁶ credits', () => {
    expect(billing.priceOf({ totalTokens: 2_000 })).toBe(1);
    expect(billing.priceOf({ totalTokens: 1 })).toBe(0.0005);
    expect(billing.priceOf({ totalTokens: 0 })).toBe(0);
    expect(billing.priceOf(undefined)).toBe(1);
    expect(new Billing(services.store, { ...PRICING, per1kTokens: 1 / 3 }).priceOf({ totalTokens: 1 })).toBe(0.000333);
  });

  it('estimates a stream without usage from what it sent (bytes / 4, or one token per delta), never below the reservation', () => {
    // 4,000 request bytes = 1,000 tokens; 20,000 content bytes in 10 deltas = 5,000 tokens: 6,000 tokens.
    expect(billing.estimateOf({ requestBytes: 4_000, contentBytes: 20_000, contentDeltas: 10 })).toBe(3);
    // 8 content bytes in 6,000 deltas: the deltas count (1 + 6,000 tokens).
    expect(billing.estimateOf({ requestBytes: 4, contentBytes: 8, contentDeltas: 6_000 })).toBe(3.0005);
    // Little sent: the reservation stands.
    expect(billing.estimateOf({ requestBytes: 10, contentBytes: 0, contentDeltas: 0 })).toBe(2);
  });
});
