import { describe, expect, it } from 'vitest';
import { CHANNEL, USER, message } from './activities';
import { useTeamsHarness } from './harness';

/**
 * `request …` in Teams (issue 25): a Bot Framework activity → botbuilder's adapter → the core →
 * `POST /v1/key-requests` with the person's assertion on the real local stack.
 */
const h = useTeamsHarness();

describe('Teams request', () => {
  it('a member asks in a channel; the request names the member (tenant and AAD object id), not the bot', async () => {
    const activity = message({ serviceUrl: h.serviceUrl, text: 'request reports --scopes models:read,responses:write --reason "weekly numbers"', from: USER });
    expect((await h.send(activity)).status).toBe(200);
    await h.connector.waitFor(() => h.connector.in(CHANNEL.id).length >= 1);
    const [reply] = h.connector.in(CHANNEL.id);
    const listed = (await h.stack.json('/v1/key-requests', { key: h.stack.adminKey })).body.data as any[];
    expect(listed).toEqual([
      expect.objectContaining({
        status: 'pending',
        requester: `teams:tenant1:${USER.aadObjectId}`,
        viaBot: 'teams',
        reason: 'weekly numbers',
        key: expect.objectContaining({ name: 'reports', scopes: ['models:read', 'responses:write'] }),
      }),
    ]);
    expect(JSON.stringify(reply!.activity)).toContain(listed[0].id);
  });
});
