import type { TestStack } from '../support/local-stack';

/** Small helpers over the test stack's own /v1 API: mint keys as the bootstrap admin, read the balance. */
export interface CreatedKey {
  id: string;
  key: string;
  expiresAt: string | null;
}

export async function createKey(
  stack: TestStack,
  body: {
    name?: string;
    type?: 'viewer' | 'privileged';
    scopes?: string[];
    expiresIn?: string;
    rateLimit?: { limit: number; windowSeconds: number };
  } = {},
  adminKey = stack.adminKey,
): Promise<CreatedKey> {
  const res = await stack.json<CreatedKey>('/v1/keys', { key: adminKey, body });
  if (res.status !== 201) throw new Error(`POST /v1/keys answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function revokeKey(stack: TestStack, id: string, adminKey = stack.adminKey): Promise<void> {
  const res = await stack.json(`/v1/keys/${id}/revoke`, { key: adminKey, method: 'POST' });
  if (res.status !== 200) throw new Error(`revoke answered ${res.status}: ${JSON.stringify(res.body)}`);
}

/** The account balance straight from the store (no request counted against any key). */
export async function balance(stack: TestStack, accountId = stack.bootstrap.accountId): Promise<number> {
  const account = await stack.services.store.getAccount(accountId);
  if (!account) throw new Error(`no account ${accountId}`);
  return account.credits;
}

/** Puts the account's balance at exactly `amount`, so a test never depends on what earlier tests spent. */
export async function setBalance(stack: TestStack, amount: number, accountId = stack.bootstrap.accountId): Promise<void> {
  await stack.services.operator.adjustCredits(accountId, credits(amount - (await balance(stack, accountId))));
  if ((await balance(stack, accountId)) !== amount) throw new Error(`could not set the balance of ${accountId} to ${amount}`);
}

/** Float-safe credit arithmetic (prices are fractions of a credit). */
export function credits(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
