import { describe, expect, it } from 'vitest';
import { runLocalReminders } from '../../../bots/local-reminders';
import { keyRotationSchedule } from '../../../lambdas/adapters/rotation-delivery-wiring';
import { ADMIN_USER, keysIn, textOf, useSlackHarness } from './slack-harness';
import type { RecordedCall } from './slack-stand-in';

type ApiCall = Extract<RecordedCall, { kind: 'api' }>;
const ADMIN_DM = `D${ADMIN_USER.slice(1)}`;
const DAY = 86_400_000;

/**
 * Issue 25 point 2 on Slack: a scheduled rotation that could not deliver its value (here: to an
 * owner the job cannot reach, refused before anything was rotated) reaches the project's Slack
 * admin once, as a DM from the 5-minute job (`keywarden reminders run` runs it too) — two runs at
 * once and a third send one — escaped, and never with a key value. Against the real local stack
 * (dynalite) and a stand-in Slack Web API.
 */
describe('Slack rotation failure notices', () => {
  const h = useSlackHarness();
  const run = () => runLocalReminders({ secrets: h.stack.secrets, baseUrl: h.stack.url, env: { SLACK_API_URL: h.slack.apiUrl } }, h.stack.clock.now(), 'rotation-failure-notices');
  const notices = (from: number) => h.slack.calls.slice(from).filter((c): c is ApiCall => c.kind === 'api' && c.method === 'chat.postMessage' && c.raw.includes('kw_rotation_failure'));

  it('tells the admin once, escaped, no key value', async () => {
    const created = (
      await h.stack.json('/v1/keys', {
        key: h.stack.adminKey,
        body: { name: 'sync <!channel> <https://evil.example|x>', scopes: ['models:read'], rotation: { every: '1d', overlap: '1h', deliverTo: { owner: 'slack:T1:UOWNER' } } },
      })
    ).body as { id: string; key: string };
    let from = h.slack.calls.length;
    expect((await run()).slack).toMatchObject({ sent: 0 });
    expect(notices(from)).toEqual([]);

    h.stack.clock.advance(DAY + 60_000);
    expect((await keyRotationSchedule(h.stack.services).run()).undelivered).toBeGreaterThanOrEqual(1);
    await h.stack.idle();
    from = h.slack.calls.length;
    const [a, b] = await Promise.all([run(), run()]);
    expect([a.slack, b.slack].map((r) => ('sent' in r ? r.sent : -1)).sort()).toEqual([0, 1]);
    const sent = notices(from);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.args.channel).toBe(ADMIN_DM);
    const said = textOf(sent[0]!.args);
    expect(said).toContain('could not deliver its new value');
    expect(said).toContain('privately to slack:T1:UOWNER');
    expect(said).toContain('private delivery to a chat owner is not available');
    expect(said).toContain(created.id);
    expect(sent[0]!.raw).not.toContain('<!channel>');
    expect(sent[0]!.raw).not.toContain('<https://evil.example');
    for (const call of h.slack.calls) expect(keysIn(call)).toEqual([]);

    from = h.slack.calls.length;
    expect((await run()).slack).toMatchObject({ sent: 0, alreadySent: 1 });
    expect(notices(from)).toEqual([]);
  });
});
