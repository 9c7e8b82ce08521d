import { describe, expect, it } from 'vitest';
import { ADMIN_USER, useSlackHarness } from './slack-harness';

const form = 'application/x-www-form-urlencoded';
const urlVerification = (challenge: string) => JSON.stringify({ token: 'legacy', challenge, type: 'url_verification' });

/** Issue 12: the front door acks at once and answers what only the ack can carry. */
describe('Slack front door (local server)', () => {
  describe('before SLACK_BOT_TOKEN is configured', () => {
    const h = useSlackHarness({ SLACK_BOT_TOKEN: '' });

    it('answers a signed url_verification with its challenge, so the Request URL can be set up first', async () => {
      const res = await h.post(urlVerification('setup-challenge-7'), 'application/json');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ challenge: 'setup-challenge-7' });
    });

    it('still refuses an unsigned or wrongly signed url_verification (401)', async () => {
      expect((await h.post(urlVerification('x'), 'application/json', { secret: 'not-the-secret' })).status).toBe(401);
      expect((await h.post(urlVerification('x'), 'application/json', { signature: '' })).status).toBe(401);
    });

    it('says what is missing for anything else: a command in its ack, an event with 503', async () => {
      const res = await h.post(h.commandForm('list', 'unconfigured'), form);
      expect(res.status).toBe(200);
      expect(JSON.stringify(await res.json())).toContain('SLACK_BOT_TOKEN is not set');
      const event = await h.event({ type: 'app_mention', channel: 'C1', user: ADMIN_USER, text: '<@UBOT> hi', ts: '1.000001' });
      expect(event.status).toBe(503);
      expect(h.slack.calls).toEqual([]);
    });
  });

  describe('configured', () => {
    const h = useSlackHarness();

    it('acks a command with an empty 200 before the answer, which reaches the response_url after', async () => {
      const { status, responseId } = await h.command('list');
      expect(status).toBe(200);
      const answer = await h.answer(responseId);
      expect(answer.body.response_type).toBe('ephemeral');
      expect(answer.raw).toContain('Slack bot viewer key');
    });

    it('shows bad create-modal fields in the ack itself, and runs nothing', async () => {
      const res = await h.submitView({ callback_id: 'kw_create_key', private_metadata: '{}' }, { kw_expires: { value: { type: 'plain_text_input', value: 'soon' } } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ response_action: 'errors', errors: { kw_expires: expect.stringContaining('--expires must look like') } });
    });

    it('never calls auth.test: not per command, not per event', async () => {
      for (const text of ['help', 'list', 'whoami']) await h.answer((await h.command(text)).responseId);
      const from = h.slack.calls.length;
      await h.event({ type: 'app_mention', channel: 'C1', user: ADMIN_USER, text: '<@UBOT> help', ts: '2.000001' });
      await h.slack.waitFor((c) => c.kind === 'api' && c.method === 'chat.postEphemeral', { from });
      expect(h.slack.api('auth.test')).toEqual([]);
    });

    it('answers Slack’s unsigned ssl_check with 200 and does nothing else', async () => {
      const before = h.slack.calls.length;
      const res = await h.post('ssl_check=1&token=x', form, { signature: '' });
      expect(res.status).toBe(200);
      expect(h.slack.calls.length).toBe(before);
    });
  });
});
