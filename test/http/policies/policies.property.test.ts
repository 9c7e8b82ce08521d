import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_BINDING_HEADER } from '../../../lambdas/core/console-cookie';
import type { Principal } from '../../../lambdas/core/principal';
import { startTestStack, type TestStack } from '../../support/local-stack';
import {
  askArb,
  editArb,
  expectVerdict,
  expectWithin,
  forbiddenAsk,
  forbiddenEdit,
  forbiddenRotation,
  legacyArb,
  policyArb,
  type Answer,
  type KeyAsk,
} from './policy-arbitraries';

/**
 * Issue 25 point 5, done when: account policies refuse what they forbid on every path — and never
 * what they allow — as a property of the real local stack (dynalite, the HTTP router, the console's
 * session): for generated policies and generated asks, `POST /v1/keys` with a key and from a
 * console session, `PATCH` and rotate of keys made before the policy, and the approval of a key
 * request. The CLI and chat paths: test/cli/cli-policy.test.ts, test/http/policies/policies-chat.test.ts.
 */
let stack: TestStack;
let accountId: string;
let projectId: string;
/** Any key may ask for a key: the requests come from a viewer. */
let requesterKey: string;
let consoleSession: Record<string, string>;
let serial = 0;


beforeAll(async () => {
  stack = await startTestStack();
  ({ accountId, projectId } = stack.bootstrap);
  const operator: Principal = { kind: 'operator', actor: 'test', projectId };
  requesterKey = (await stack.services.keys.create(operator, { name: 'requester', type: 'viewer' })).secret;
  const signIn = await stack.json('/v1/console/sessions', { body: { key: stack.adminKey }, headers: { origin: stack.url } });
  expect(signIn.status, JSON.stringify(signIn.body)).toBe(201);
  consoleSession = { cookie: signIn.headers.get('set-cookie')!.split(';')[0]!, [CONSOLE_BINDING_HEADER]: signIn.body.binding, origin: stack.url };
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const setPolicy = (policy: unknown) => stack.services.operator.setAccountPolicy(accountId, policy, 'cli:test');
const asAdmin = (path: string, body?: unknown, method?: string): Promise<Answer> => stack.json(path, { key: stack.adminKey, body, method });
const fromConsole = (path: string, body?: unknown): Promise<Answer> => stack.json(path, { body, headers: consoleSession });

describe('account policies refuse what they forbid, and nothing else, on every path', { timeout: 240_000 }, () => {
  it('create: POST /v1/keys with a key and from the console', async () => {
    const tally = { made: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(policyArb, askArb, fc.constantFrom('api', 'console'), async (policy, ask, via) => {
        await setPolicy(policy);
        const body = { name: `ask ${++serial}`, ...ask };
        const res = via === 'api' ? await asAdmin('/v1/keys', body) : await fromConsole('/v1/keys', body);
        if (expectVerdict(res, forbiddenAsk(policy, ask, 'create'), 201, `${via} create`)) {
          tally.made++;
          // What nobody asked for follows the policy too.
          expectWithin(policy, res.body, Date.now(), `${via} create`);
          expectWithin(policy, (await asAdmin(`/v1/keys/${res.body.id}`)).body, Date.now(), 'stored');
        } else tally.refused++;
      }),
      {
        numRuns: 60,
        // Both verdicts the tally below requires, run every time rather than left to the draw
        // (sampled: about 1 run in 2,000 of 60 draws made no key at all).
        examples: [
          [{}, {}, 'api'],
          [{ allowedKeyTypes: ['viewer'] }, { type: 'privileged' }, 'console'],
        ],
      },
    );
    // Not vacuous.
    expect(tally.made).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  });

  it('PATCH and rotate of keys made before the policy: held to it on what an edit sets; a rotation’s lifetime is cut, never beyond it', async () => {
    const tally = { edited: 0, rotated: 0, refused: 0 };
    const now = Date.now();
    await fc.assert(
      fc.asyncProperty(legacyArb, policyArb, editArb(now), fc.constantFrom('api', 'console'), async (legacy, policy, edit, via) => {
        await setPolicy(null);
        const operator: Principal = { kind: 'operator', actor: 'test', projectId };
        const made = (await stack.services.keys.create(operator, { name: `legacy ${++serial}`, ...legacy })).key;
        await setPolicy(policy);

        const body = { ...edit, ...(edit.expiresAt === undefined ? {} : { expiresAt: edit.expiresAt === null ? null : new Date(edit.expiresAt).toISOString() }) };
        const patched = via === 'api' ? await asAdmin(`/v1/keys/${made.id}`, body, 'PATCH') : await stack.json(`/v1/keys/${made.id}`, { method: 'PATCH', body, headers: consoleSession });
        const editOk = expectVerdict(patched, forbiddenEdit(policy, made, edit, Date.now()), 200, `${via} PATCH`);
        if (editOk) tally.edited++;
        else {
          tally.refused++;
          expect((await stack.services.store.getKey(made.id))!.version ?? 1).toBe(made.version ?? 1);
        }

        const current = (await asAdmin(`/v1/keys/${made.id}`)).body;
        const rotated = await asAdmin(`/v1/keys/${made.id}/rotate`, {});
        if (expectVerdict(rotated, forbiddenRotation(policy, current), 201, 'rotate')) {
          tally.rotated++;
          expectWithin(policy, rotated.body, Date.now(), 'replacement');
        } else {
          tally.refused++;
          expect((await stack.services.store.getKey(made.id))!.replacedBy).toBeUndefined();
        }
      }),
      { numRuns: 50 },
    );
    expect(tally.edited).toBeGreaterThan(0);
    expect(tally.rotated).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  });

  it('approval of a key request: the policy as it stands when the admin approves', async () => {
    const tally = { approved: 0, refused: 0 };
    // Approval is the way past privilegedRequiresApproval (key-requests.ts marks its approvals).
    const policies = policyArb;
    await fc.assert(
      fc.asyncProperty(policies, askArb, async (policy, ask: KeyAsk) => {
        await setPolicy(null);
        const name = `requested ${++serial}`;
        const asked = await stack.json('/v1/key-requests', { key: requesterKey, body: { name, reason: 'property', ...ask } });
        expect(asked.status, JSON.stringify(asked.body)).toBe(201);
        await setPolicy(policy);
        const approved = await asAdmin(`/v1/key-requests/${asked.body.id}/approve`, {});
        if (expectVerdict(approved, forbiddenAsk(policy, ask, 'approval'), 200, 'approve')) {
          tally.approved++;
          expectWithin(policy, (await asAdmin(`/v1/keys/${approved.body.keyId}`)).body, Date.now(), 'approved key');
        } else {
          tally.refused++;
          // Nothing minted; the request still waits for a decision.
          expect((await stack.json(`/v1/key-requests?status=pending`, { key: stack.adminKey })).body.data.map((r: { id: string }) => r.id)).toContain(asked.body.id);
        }
      }),
      {
        numRuns: 30,
        // Both verdicts the tally below requires, run every time rather than left to the draw
        // (sampled: about 1 run in 200 of 30 draws approved nothing).
        examples: [
          [{}, {}],
          [{ allowedKeyTypes: ['viewer'] }, { type: 'privileged' }],
        ],
      },
    );
    expect(tally.approved).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  });

  it('privilegedRequiresApproval: a privileged key is refused directly (403 naming the policy) and a viewer key is not', async () => {
    await setPolicy({ privilegedRequiresApproval: true });
    const direct = await asAdmin('/v1/keys', { name: 'direct privileged', type: 'privileged' });
    expect(direct.status).toBe(403);
    expect(direct.body.error).toMatchObject({ code: 'insufficient_permissions', param: 'policy.privilegedRequiresApproval' });
    expect(direct.body.error.message).toContain('key request');
    expect((await asAdmin('/v1/keys', { name: 'direct viewer', type: 'viewer' })).status).toBe(201);
    // The refusal is a denied attempt in the audit trail, naming the policy.
    const audit = await stack.json('/v1/audit?actor=' + encodeURIComponent('key:' + stack.bootstrap.adminKeyId), { key: stack.adminKey });
    expect(audit.body.data).toContainEqual(expect.objectContaining({ action: 'key.create', outcome: 'denied', reason: 'account policy privilegedRequiresApproval' }));
  });

  it('privilegedRequiresApproval: the same privileged key is minted by approving a request for it', async () => {
    await setPolicy({ privilegedRequiresApproval: true });
    const asked = await stack.json('/v1/key-requests', { key: requesterKey, body: { name: 'approved privileged', type: 'privileged', reason: 'deploys' } });
    expect(asked.status).toBe(201);
    const approved = await asAdmin(`/v1/key-requests/${asked.body.id}/approve`, {});
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect((await asAdmin(`/v1/keys/${approved.body.keyId}`)).body.type).toBe('privileged');
  });

  it('GET /v1/me keeps its fields; an operator is bound by no policy (a recovery key is always possible)', async () => {
    await setPolicy({ allowedKeyTypes: ['viewer'], maxKeyLifetimeSeconds: 86_400 });
    const me = await asAdmin('/v1/me');
    expect(me.status).toBe(200);
    expect(Object.keys(me.body.account)).toEqual(expect.arrayContaining(['id', 'name', 'apiAccess', 'credits']));
    // The policy as the account's keys see it (routes/keys.ts with publicPolicy): the limits, never who set them.
    expect(me.body.account.policy).toEqual({ allowedKeyTypes: ['viewer'], maxKeyLifetimeSeconds: 86_400 });
    const operator: Principal = { kind: 'operator', actor: 'test', projectId };
    const recovery = await stack.services.keys.create(operator, { name: 'recovery', type: 'privileged', expiresInMs: null });
    expect(recovery.key).toMatchObject({ type: 'privileged', expiresAt: null });
    await setPolicy(null);
  });
});
