import { describe, expect, it } from 'vitest';
import { runLocalReminders } from '../../bots/local-reminders';
import { ADMIN_USER, keysIn, textOf, useSlackHarness } from '../bots/slack/slack-harness';
import type { RecordedCall } from '../bots/slack/slack-stand-in';

type ApiCall = Extract<RecordedCall, { kind: 'api' }>;
const ADMIN_DM = `D${ADMIN_USER.slice(1)}`;
/** Whoever holds the old key chooses its user agent: shown, it must ping nobody and link nowhere. */
const HOSTILE_AGENT = 'legacy <!channel> <https://evil.example|click>';

/**
 * Issue 25 point 4 on Slack: while a rotation's overlap runs, the 5-minute job (`keywarden
 * reminders run` runs it too) tells the admins — the one who rotated, when a person on this
 * platform did; here a key did, so every Slack admin — which callers still use the old key, once
 * per rotation, only once someone straggles, and never with a key value. Against the real local
 * stack and a stand-in Slack Web API.
 */
describe('Slack straggler notices', () => {
  const h = useSlackHarness();
  const run = () => runLocalReminders({ secrets: h.stack.secrets, baseUrl: h.stack.url, env: { SLACK_API_URL: h.slack.apiUrl } }, h.stack.clock.now(), 'straggler-notices');
  const notices = (from: number) => h.slack.calls.slice(from).filter((c): c is ApiCall => c.kind === 'api' && c.method === 'chat.postMessage' && c.raw.includes('kw_stragglers'));

  it('names the caller still on the old key to the admin, once; nothing before anyone straggles', async () => {
    const created = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'report-builder', scopes: ['models:read'] } })).body;
    const rotated = await h.stack.json(`/v1/keys/${created.id}/rotate`, { key: h.stack.adminKey, body: { overlap: '1h' } });
    expect(rotated.status).toBe(201);

    let from = h.slack.calls.length;
    expect((await run()).slack).toMatchObject({ sent: 0 });
    expect(notices(from)).toEqual([]);

    h.stack.clock.advance(1000);
    expect((await h.stack.json('/v1/models', { key: created.key, headers: { 'user-agent': HOSTILE_AGENT } })).status).toBe(200);
    await h.stack.idle();
    from = h.slack.calls.length;
    expect((await run()).slack).toMatchObject({ sent: 1 });
    const sent = notices(from);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.args.channel).toBe(ADMIN_DM);
    const said = textOf(sent[0]!.args);
    expect(said).toContain('Still on the old key “report-builder”');
    expect(said).toContain('GET /v1/models');
    expect(said).toContain('1 call');
    expect(said).toContain(rotated.body.id);
    expect(sent[0]!.raw).not.toContain('<!channel>');
    expect(sent[0]!.raw).not.toContain('<https://evil.example');
    for (const call of h.slack.calls) expect(keysIn(call)).toEqual([]);

    from = h.slack.calls.length;
    expect((await run()).slack).toMatchObject({ sent: 0, alreadySent: 1 });
    expect(notices(from)).toEqual([]);
  });
});
