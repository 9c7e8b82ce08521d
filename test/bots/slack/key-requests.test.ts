import { describe, expect, it } from 'vitest';
import { MEMBER, MEMBER_USER, textOf, useSlackHarness } from './slack-harness';

/**
 * `/apikeys request …` (issue 25) end to end: a signed slash command → Bolt → the core → `POST
 * /v1/key-requests` with the member's assertion on the real local stack; the answer is ephemeral.
 */
describe('Slack /apikeys request', () => {
  const h = useSlackHarness();
  const requests = async () => (await h.stack.json('/v1/key-requests', { key: h.stack.adminKey })).body.data as any[];

  it('a member (no admin) asks; the request names the member, not the bot, and waits for an admin', async () => {
    const { status, responseId } = await h.command('request "nightly export" --type viewer --expires 30d --reason "the export job"', MEMBER_USER);
    expect(status).toBe(200);
    const answer = await h.answer(responseId);
    expect(answer.body.response_type).toBe('ephemeral');
    const [request] = await requests();
    expect(request).toMatchObject({
      status: 'pending',
      requester: MEMBER,
      viaBot: 'slack',
      reason: 'the export job',
      key: { name: 'nightly export', type: 'viewer', expiresInSeconds: 30 * 86_400 },
    });
    const text = textOf(answer.body);
    expect(text).toContain(request.id);
    expect(text).toContain('nightly export');
    expect(text).toContain('goes only to you');
  });

  it('a second pending request for the same name is refused, naming the first; a missing reason gets the usage', async () => {
    const first = (await requests()).find((r) => r.key.name === 'nightly export');
    const again = await h.command('request "Nightly Export" --reason "again"', MEMBER_USER);
    expect(textOf((await h.answer(again.responseId)).body)).toContain(first.id);
    const bare = await h.command('request "something"', MEMBER_USER);
    expect(textOf((await h.answer(bare.responseId)).body)).toContain('--reason');
    expect((await requests()).filter((r) => r.requester === MEMBER)).toHaveLength(1);
  });
});
