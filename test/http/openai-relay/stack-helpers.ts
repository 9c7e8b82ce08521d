import type { TestStack } from '../../support/local-stack';

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

/**
 * The account balance straight from the store (no request counted against any key), once every
 * answered call has settled (settlement runs after the answer).
 */
export async function balance(stack: TestStack, accountId = stack.bootstrap.accountId): Promise<number> {
  await stack.idle();
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

/**
 * Waits until a call's after-answer work is done: settlement runs after the answer is sent, and
 * the call's usage record is written last, so once the record exists the balance is final.
 */
export async function settled(stack: TestStack, answer: { headers: Headers | Record<string, string> }): Promise<void> {
  const { headers } = answer;
  const requestId = headers instanceof Headers ? headers.get('x-request-id') : headers['x-request-id'];
  if (!requestId) throw new Error('the answer has no x-request-id');
  for (let attempt = 0; attempt < 500; attempt++) {
    const page = await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, requestId, limit: 1 });
    if (page.items.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no usage record for ${requestId}: the call never settled`);
}

/** A key's usage records, read directly: how many, the credits they charged, the tokens they used. */
export async function usageOf(stack: TestStack, keyId: string): Promise<{ records: number; charged: number; tokens: number }> {
  let charged = 0;
  let records = 0;
  let tokens = 0;
  let cursor: string | undefined;
  do {
    const page = await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, keyId, limit: 200, cursor });
    for (const r of page.items) {
      charged += r.credits ?? 0;
      tokens += r.usage?.totalTokens ?? 0;
    }
    records += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return { records, charged, tokens };
}
