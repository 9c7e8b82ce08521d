import { afterEach, describe, expect, it, vi } from 'vitest';
import { runLocalReminders } from '../../../bots/local-reminders';
import { keyRotationSchedule } from '../../../lambdas/adapters/rotation-delivery-wiring';
import type { Principal } from '../../../lambdas/core/principal';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { storedItems } from '../../support/stored-items';
import { ADMIN, ADMIN_USER, MEMBER, MEMBER_USER, buttonValue, keysIn, textOf, useSlackHarness } from './slack-harness';

const DAY = 86_400_000;
const COLLECT = 'kw_rotation_delivery_collect';

/**
 * Issue 25 point 2 on Slack, `deliverTo: {owner}`: a key due for rotation is rotated by the job
 * (what `keywarden reminders run` runs); the owner gets a DM with `Collect key` from the 5-minute
 * notices (once, however many runs); the owner's click — signed as Slack signs it — delivers the new
 * value ephemerally, exactly once; another person's click with the same button is refused and
 * audited. The value is in that one answer and nowhere else: no other Slack call, no log line, no
 * stored item, no event, no audit record. Never collected, the rotation is undone and the admin is
 * told. Real parts: the local stack on dynalite, Bolt's receiver, a stand-in Slack Web API.
 *
 * The whole process's `Date` is moved a day ahead for the job (not only the stack's clock, so the
 * bot's actor assertions agree with the API about the time), and back before the clicks.
 */
describe('Slack: scheduled rotation delivered to the key’s owner', () => {
  const h = useSlackHarness();
  afterEach(() => vi.useRealTimers());
  const notices = () => runLocalReminders({ secrets: h.stack.secrets, baseUrl: h.stack.url, env: { SLACK_API_URL: h.slack.apiUrl } }, Date.now(), 'rotation-failure-notices');
  const dmTo = (user: string, marker: string) => (c: any) => c.kind === 'api' && c.method === 'chat.postMessage' && c.args.channel === `D${user.replace(/^U/, '')}` && JSON.stringify(c.args).includes(marker);
  const operator = (): Principal => ({ kind: 'operator', actor: 'cli:test', projectId: h.stack.bootstrap.projectId });
  const dayLater = () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + DAY + 60_000);
  };

  async function owned(name: string) {
    const res = await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name, scopes: ['models:read'], rotation: { every: '1d', overlap: '1h', deliverTo: { owner: ADMIN } } } });
    expect(res.status).toBe(201);
    return res.body as { id: string; key: string };
  }

  it('the owner collects the new value once, privately; another person’s click is refused and audited; the value nowhere else', async () => {
    const old = await owned('nightly sync');
    dayLater();
    expect((await keyRotationSchedule(h.stack.services).run()).rotated).toBe(1);
    const replacement = (await h.stack.json(`/v1/keys/${old.id}`, { key: h.stack.adminKey })).body.replacedBy as string;

    const from = h.slack.calls.length;
    await Promise.all([notices(), notices()]);
    const dm = (await h.slack.waitFor(dmTo(ADMIN_USER, COLLECT), { from })) as any;
    expect(h.slack.calls.slice(from).filter(dmTo(ADMIN_USER, COLLECT))).toHaveLength(1);
    expect(textOf(dm.args)).toContain('nightly sync');
    expect(textOf(dm.args)).toContain(replacement);
    expect(keysIn(dm)).toEqual([]);
    const value = buttonValue(dm.args, COLLECT);
    // Back to real time for the clicks (Slack's front door reads the real clock); the value is held for a day still.
    vi.useRealTimers();

    // Someone else with the same button: refused, no value, audited as a denied attempt.
    const forged = await h.click(COLLECT, value, MEMBER_USER);
    const refusedAnswer = await h.answer(forged.responseId);
    expect(textOf(refusedAnswer.body)).toMatch(/only the key’s owner/i);
    expect(keysIn(refusedAnswer)).toEqual([]);

    const click = await h.click(COLLECT, value, ADMIN_USER);
    const delivered = await h.answer(click.responseId);
    expect(delivered.body.response_type).toBe('ephemeral');
    const [raw] = keysIn(delivered);
    expect(raw).toBeDefined();
    expect((await h.stack.json('/v1/me', { key: raw! })).body.id).toBe(replacement);
    const twice = await h.click(COLLECT, value, ADMIN_USER);
    expect(textOf((await h.answer(twice.responseId)).body)).toContain('already collected');

    const audit = await h.stack.services.audit.query(operator(), { keyId: replacement });
    const claims = audit.items.filter((r) => r.action === 'key.rotation_delivery.claim').map((r) => [r.actor, r.outcome, r.viaBot]);
    expect(claims).toEqual(expect.arrayContaining([[MEMBER, 'denied', 'slack'], [ADMIN, 'success', 'slack']]));

    // The value: in the one ephemeral answer, nowhere else.
    expect(h.slack.calls.filter((c) => c !== delivered).flatMap(keysIn)).toEqual([]);
    expect(h.output.text()).not.toContain(raw);
    const elsewhere = JSON.stringify([await storedItems(h.stack.services), audit.items, await h.stack.services.store.listEvents(h.stack.bootstrap.projectId, { limit: 200 })]);
    expect(elsewhere).not.toContain(raw);
    expect(findKeysInText(elsewhere)).toEqual([]);

    // Nothing more to tell the owner.
    const after = h.slack.calls.length;
    await notices();
    expect(h.slack.calls.slice(after).filter(dmTo(ADMIN_USER, COLLECT))).toEqual([]);
  });

  it('never collected: the rotation undone when the window ends, the old key working, the admin told', async () => {
    const old = await owned('never collected');
    dayLater();
    await keyRotationSchedule(h.stack.services).run();
    await notices();
    vi.setSystemTime(Date.now() + DAY + 60_000);
    expect((await keyRotationSchedule(h.stack.services).run()).undelivered).toBeGreaterThanOrEqual(1);
    await h.stack.idle();
    expect((await h.stack.json('/v1/models', { key: old.key })).status).toBe(200);
    const from = h.slack.calls.length;
    await notices();
    const told = (await h.slack.waitFor(dmTo(ADMIN_USER, 'kw_rotation_failure'), { from })) as any;
    expect(textOf(told.args)).toContain('did not collect the new value');
    expect(textOf(told.args)).toContain(old.id);
    // What to do next is about the owner, not a secret's tag.
    expect(textOf(told.args)).toContain('Ask the owner to collect');
    expect(textOf(told.args)).not.toContain('keywarden-delivery');
    expect(keysIn(told)).toEqual([]);
  });
});
