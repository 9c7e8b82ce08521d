import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../lambdas/core/principal';
import { ADMIN, buttonValue, keysIn, textOf, useSlackHarness } from '../../bots/slack/slack-harness';
import { forbiddenAsk, policyArb } from './policy-arbitraries';

/**
 * Account policies in chat (issue 25 point 5): an admin's `/apikeys create` and `rotate` through
 * the real Slack path (signed requests → Bolt → the conversation core → /v1 on the local stack)
 * get a reply naming the policy that refused them, never "you are not an admin", and no key;
 * what the policy allows goes through.
 */
describe('account policies in chat (Slack)', { timeout: 240_000 }, () => {
  const h = useSlackHarness();
  let serial = 0;
  const setPolicy = (policy: unknown) => h.stack.services.operator.setAccountPolicy(h.stack.bootstrap.accountId, policy, 'cli:test');

  it('create: refused with the policy named exactly when the policy forbids what was asked', async () => {
    const tally = { made: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        policyArb,
        fc.record({ type: fc.constantFrom('viewer' as const, 'privileged' as const), expiresIn: fc.constantFrom('12h', '90d') }, { requiredKeys: [] }),
        async (policy, ask) => {
          await setPolicy(policy);
          const name = `chat ask ${++serial}`;
          const flags = [ask.type ? `--type ${ask.type}` : '', ask.expiresIn ? `--expires ${ask.expiresIn}` : ''].join(' ');
          const answer = await h.answer((await h.command(`create ${name} ${flags}`)).responseId);
          const forbidden = forbiddenAsk(policy, ask, 'create');
          const text = textOf(answer.body);
          if (forbidden.length === 0) {
            expect(keysIn(answer), text).toHaveLength(1);
            tally.made++;
          } else {
            expect(keysIn(answer)).toEqual([]);
            expect(forbidden.some((p) => text.includes(`Account policy ${p}`)), text).toBe(true);
            expect(text).not.toContain('only admins');
            tally.refused++;
          }
        },
      ),
      {
        numRuns: 14,
        // Both verdicts the tally below requires, run every time rather than left to the draw
        // (sampled: about 1 run in 450 of 14 draws made no key at all).
        examples: [
          [{}, {}],
          [{ allowedKeyTypes: ['viewer'] }, { type: 'privileged' }],
        ],
      },
    );
    expect(tally.made).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  });

  it('privilegedRequiresApproval: the reply says how to ask for it instead', async () => {
    await setPolicy({ privilegedRequiresApproval: true });
    const answer = await h.answer((await h.command('create straight to privileged --type privileged')).responseId);
    expect(textOf(answer.body)).toContain('Account policy privilegedRequiresApproval');
    expect(textOf(answer.body)).toMatch(/`request [^`]*--type privileged/);
  });

  it('rotate: a key the policy no longer allows is not rotated, and the reply names the policy', async () => {
    await setPolicy(null);
    const operator: Principal = { kind: 'operator', actor: 'test', projectId: h.stack.bootstrap.projectId };
    const legacy = (await h.stack.services.keys.create(operator, { name: 'legacy chat key', type: 'privileged', expiresInMs: null })).key;
    await setPolicy({ allowedKeyTypes: ['viewer'] });
    const confirm = await h.answer((await h.command('rotate legacy chat key')).responseId);
    const done = await h.answer((await h.click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'))).responseId);
    expect(keysIn(done)).toEqual([]);
    expect(textOf(done.body)).toContain('Account policy allowedKeyTypes');
    expect((await h.stack.services.store.getKey(legacy.id))!.replacedBy).toBeUndefined();
    // The refusal names the person who asked, in the audit trail.
    const audit = await h.stack.json(`/v1/audit?keyId=${legacy.id}`, { key: h.stack.adminKey });
    expect(audit.body.data).toContainEqual(expect.objectContaining({ action: 'key.rotate', outcome: 'denied', actor: ADMIN, reason: 'account policy allowedKeyTypes' }));
    await setPolicy(null);
  });
});
