import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utcDay } from '../../../lambdas/core/usage';
import type { UsageRecord } from '../../../lambdas/core/types';
import { itemKey } from '../../../lambdas/adapters/store/table';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { createKey } from '../openai-relay/stack-helpers';

/**
 * An account's days are summed from its keys' (issue 23: no write of the account's day by a call
 * of a key the store wrote since; store/usage-days.ts). Whatever calls its keys make — model calls
 * settled on the key's item, other calls on the key's day item, across days (a finished day filed
 * off the key item), from keys of two projects, a key stored before (its calls added to the
 * account's day item, as then), and keys deleted while their items still count days — the
 * account's days equal its usage log, day by day, from outside (GET /v1/usage/daily) and in the
 * store alike.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const DAY = 86_400_000;
type Counts = { requests: number; tokens: number; micro: number };
type Op = { kind: 'responses' | 'chat' | 'models'; key: number } | { kind: 'day' } | { kind: 'delete'; key: number };

/** The account's usage log, per UTC day (credits in millionths: exact). */
async function logOf(projectIds: string[]): Promise<Map<string, Counts>> {
  const days = new Map<string, Counts>();
  for (const projectId of projectIds) {
    let cursor: string | undefined;
    do {
      const page = await stack.services.store.queryUsage({ projectId, cursor, limit: 100 });
      for (const r of page.items as UsageRecord[]) {
        const day = days.get(r.at.slice(0, 10)) ?? { requests: 0, tokens: 0, micro: 0 };
        day.requests += 1;
        day.tokens += r.usage?.totalTokens ?? 0;
        day.micro += Math.round(r.credits * 1e6);
        days.set(r.at.slice(0, 10), day);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  return days;
}

/** Days with calls, as `{ date, requests, tokens, micro }`, oldest first. */
function asRows(days: Iterable<{ date: string; requests: number; tokens: number; credits?: number; micro?: number }>) {
  return [...days]
    .filter((d) => d.requests > 0)
    .map((d) => ({ date: d.date, requests: d.requests, tokens: d.tokens, micro: d.micro ?? Math.round(d.credits! * 1e6) }))
    .sort((a, b) => (a.date < b.date ? -1 : 1));
}

async function call(key: string, kind: 'responses' | 'chat' | 'models'): Promise<number> {
  if (kind === 'models') return (await stack.json('/v1/models', { key })).status;
  if (kind === 'chat') return (await stack.json('/v1/chat/completions', { key, body: { model: 'archibot', messages: [{ role: 'user', content: 'hi' }] } })).status;
  return (await stack.json('/v1/responses', { key, body: { model: 'archibot', input: 'hi' } })).status;
}

describe('an account’s days, summed from its keys’', () => {
  it('equal its usage log day by day, whatever its keys did (property)', { timeout: 240_000 }, async () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom('responses' as const, 'chat' as const, 'models' as const), key: fc.nat(3) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'day' as const }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(3) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 16 }), async (ops) => {
        const first = utcDay(stack.clock.now());
        const account = await stack.services.operator.createAccount({ name: 'summed days', apiAccess: true, credits: 1_000 });
        const projects = await Promise.all(['a', 'b'].map((name) => stack.services.operator.createProject({ accountId: account.id, name, actor: 'test' })));
        // Keys 0 and 1 in project a (1 stored as before: its days not summed), 2 and 3 in project b.
        const admins = [projects[0]!, projects[0]!, projects[1]!, projects[1]!].map((p) => p.automator.secret);
        const keys = await Promise.all(admins.map((admin, i) => createKey(stack, { name: `k${i}`, type: 'viewer', rateLimit: { limit: 1000, windowSeconds: 60 } }, admin)));
        const { services } = stack;
        const legacy = itemKey.key(keys[1]!.id);
        await services.dynamo.send(new UpdateItemCommand({ TableName: services.config.tableName, Key: { pk: { S: legacy.pk }, sk: { S: legacy.sk } }, UpdateExpression: 'REMOVE accountDaysSummed' }));
        const deleted = new Set<number>();
        for (const o of ops) {
          if (o.kind === 'day') stack.clock.advance(DAY);
          else if (o.kind === 'delete') {
            if (deleted.has(o.key)) continue;
            deleted.add(o.key);
            const gone = await stack.json(`/v1/keys/${keys[o.key]!.id}`, { key: admins[o.key]!, method: 'DELETE' });
            expect(gone.status, JSON.stringify(gone.body)).toBe(200);
          } else expect(await call(keys[o.key]!.key, o.kind)).toBe(deleted.has(o.key) ? 401 : 200);
        }
        await stack.idle();
        const last = utcDay(stack.clock.now());
        const log = asRows([...(await logOf(projects.map((p) => p.project.id)))].map(([date, c]) => ({ date, ...c })));
        expect(log.length).toBeGreaterThan(0);
        expect(asRows(await services.store.queryUsageDays({ accountId: account.id }, first, last))).toEqual(log);
        // From outside: a key of the account asks for its account's days. Its own call is counted by
        // its admission, before it reads (not a model call), and recorded after the answer.
        const days = Math.round((Date.parse(last) - Date.parse(first)) / DAY) + 1;
        const res = await stack.json(`/v1/usage/daily?days=${days}`, { key: admins[0]! });
        expect(res.status).toBe(200);
        expect(res.body.accountId).toBe(account.id);
        await stack.idle();
        const now = asRows([...(await logOf(projects.map((p) => p.project.id)))].map(([date, c]) => ({ date, ...c })));
        expect(now.reduce((n, d) => n + d.requests, 0)).toBe(log.reduce((n, d) => n + d.requests, 0) + 1);
        expect(asRows(res.body.data)).toEqual(now);
      }),
      { numRuns: 12 },
    );
  });
});
