import { describe, expect, it } from 'vitest';
import { ADMIN_USER, MEMBER, MEMBER_USER, textOf, useSlackHarness } from './slack/slack-harness';
import { ADMIN, CHANNEL, message, personalChat } from './teams/activities';
import { cardOf, useTeamsHarness } from './teams/harness';

/**
 * Issue 11: `/apikeys console` (Slack, ephemeral) and `console` (Teams, 1:1 only) answer an admin
 * with a one-time console sign-in link, valid 5 minutes and single use; anyone else is refused
 * (and audited by the API); a Teams channel never sees a link.
 */
const LINK = /(https?:\/\/[^\s|>)"\\]+\/console\/?#link=[A-Za-z0-9._-]+)/;

/** Signs in to the console with a link's token, as the page does: 201 the first time, then refused. */
async function signInWith(stack: { url: string; json: (p: string, o: object) => Promise<{ status: number; body: any }> }, url: string) {
  const token = new URL(url).hash.replace(/^#link=/, '');
  return stack.json('/v1/console/sessions', { body: { link: token }, headers: { origin: stack.url } });
}

describe('Slack /apikeys console', () => {
  const h = useSlackHarness();

  it('gives an admin a one-time link, ephemerally; it signs in once, as that person', async () => {
    const { responseId } = await h.command('console', ADMIN_USER);
    const answer = await h.answer(responseId);
    expect(answer.body.response_type).toBe('ephemeral');
    const url = LINK.exec(JSON.stringify(answer.body))?.[1];
    expect(url, JSON.stringify(answer.body)).toBeDefined();
    const first = await signInWith(h.stack, url!);
    expect(first.status).toBe(201);
    expect(JSON.stringify(first.body)).toContain(`slack:T1:${ADMIN_USER}`);
    expect((await signInWith(h.stack, url!)).status).toBeGreaterThanOrEqual(400);
  });

  it('refuses anyone else, with no link, and the API audits the attempt', async () => {
    const { responseId } = await h.command('console', MEMBER_USER);
    const answer = await h.answer(responseId);
    expect(textOf(answer.body)).toMatch(/admin/i);
    expect(JSON.stringify(answer.body)).not.toMatch(LINK);
    const audit = await h.stack.json(`/v1/audit?actor=${encodeURIComponent(MEMBER)}`, { key: h.stack.adminKey });
    expect(audit.body.data.some((r: { outcome: string }) => r.outcome === 'denied')).toBe(true);
  });
});

describe('Teams console', () => {
  const t = useTeamsHarness();

  it('answers a link in the 1:1 chat only; asked in a channel, it says to ask there and sends nothing', async () => {
    const inChannel = message({ serviceUrl: t.serviceUrl, text: 'console', conversation: CHANNEL });
    expect((await t.send(inChannel)).status).toBe(200);
    await t.connector.waitFor(() => t.connector.in(CHANNEL.id).length >= 1);
    const [refusal] = t.connector.in(CHANNEL.id);
    expect(JSON.stringify(refusal)).toMatch(/1:1 chat/);
    expect(JSON.stringify(t.connector.calls)).not.toMatch(LINK);

    const personal = personalChat(ADMIN);
    expect((await t.send(message({ serviceUrl: t.serviceUrl, text: 'console', conversation: personal }))).status).toBe(200);
    await t.connector.waitFor(() => t.connector.in(personal.id).some((c) => LINK.test(JSON.stringify(c))));
    const reply = t.connector.in(personal.id).find((c) => LINK.test(JSON.stringify(c)))!;
    expect(cardOf(reply)).toBeUndefined();
    const url = LINK.exec(JSON.stringify(reply))![1]!;
    expect((await signInWith(t.stack, url)).status).toBe(201);
  });
});
