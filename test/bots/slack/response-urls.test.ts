import { createServer, type Server } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payloadResponseUrls, responseUrlPolicy, SLACK_HOOK_HOSTS } from '../../../bots/slack/response-urls';
import { ADMIN_USER, keysIn, textOf, useSlackHarness } from './slack-harness';

/**
 * A response_url is only ever answered on Slack's hooks host (or the configured SLACK_API_URL's
 * origin): a signed payload naming another address is dropped before any listener, and a modal's
 * saved one falls back to the person's DM — so a new key can never be posted off Slack.
 */
describe('the response_url policy', () => {
  const configured = 'http://127.0.0.1:4555/api/';
  const allowed = responseUrlPolicy(configured);

  it('accepts Slack’s hooks URLs and the configured origin only', () => {
    for (const ok of ['https://hooks.slack.com/commands/T1/1/abc', 'https://hooks.slack.com/actions/T1/2/def', 'https://hooks.slack-gov.com/commands/x', 'http://127.0.0.1:4555/response/r1'])
      expect(allowed(ok), ok).toBe(ok);
    for (const bad of [
      'http://hooks.slack.com/commands/x', // not https
      'https://hooks.slack.com:8443/commands/x',
      'https://user:pw@hooks.slack.com/commands/x',
      'https://hooks.slack.com.evil.example/commands/x',
      'https://evil.example/?u=https://hooks.slack.com/',
      'https://slack.com/api/chat.postMessage',
      'http://127.0.0.1:4556/response/r1', // another port on the same host
      'https://127.0.0.1:4555/response/r1', // another scheme
      'javascript:alert(1)',
      'hooks.slack.com/commands/x',
      '',
    ])
      expect(allowed(bad), bad).toBeUndefined();
    for (const notAString of [undefined, null, 1, {}, ['https://hooks.slack.com/x']]) expect(allowed(notAString)).toBeUndefined();
    expect(responseUrlPolicy()('http://127.0.0.1:4555/response/r1')).toBeUndefined();
  });

  it('property: a URL is accepted only when it is https on a Slack hooks host (no port, no userinfo) or on the configured origin', () => {
    const hosts = fc.oneof(fc.constantFrom(...SLACK_HOOK_HOSTS, '127.0.0.1', 'slack.com', 'hooks.slack.com.evil.example'), fc.domain());
    const urls = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.tuple(fc.constantFrom('http', 'https', 'ftp', 'HTTPS'), fc.option(fc.constantFrom('u@', 'u:p@')), hosts, fc.option(fc.constantFrom(':443', ':4555', ':8443', ':80')), fc.webPath()).map(([s, u, h, p, path]) => `${s}://${u ?? ''}${h}${p ?? ''}${path}`),
      fc.string(),
    );
    fc.assert(
      fc.property(urls, (raw) => {
        const verdict = allowed(raw);
        if (verdict === undefined) return;
        expect(verdict).toBe(raw);
        const url = new URL(raw);
        const onSlack = url.protocol === 'https:' && url.port === '' && !url.username && !url.password && SLACK_HOOK_HOSTS.includes(url.hostname);
        expect(onSlack || (url.origin === 'http://127.0.0.1:4555' && !url.username && !url.password), raw).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds every response URL a payload carries (a command’s, a button’s, a modal’s response_urls)', () => {
    expect(payloadResponseUrls({ response_url: 'a' })).toEqual(['a']);
    expect(payloadResponseUrls({ response_urls: [{ response_url: 'b' }, null, { channel_id: 'C' }] })).toEqual(['b', undefined, undefined]);
    expect(payloadResponseUrls({ type: 'event_callback' })).toEqual([]);
    expect(payloadResponseUrls(null)).toEqual([]);
  });
});

describe('a signed Slack payload naming a response_url off Slack', () => {
  const h = useSlackHarness();
  let evil: Server;
  let evilUrl: string;
  const evilHits: string[] = [];

  beforeAll(async () => {
    evil = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        evilHits.push(`${req.method} ${req.url} ${body}`);
        res.end('ok');
      });
    });
    await new Promise<void>((done) => evil.listen(0, '127.0.0.1', done));
    const address = evil.address();
    evilUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => new Promise<void>((done) => evil.close(() => done())));

  const keysNamed = async (name: string) =>
    ((await h.stack.json(`/v1/keys?search=${encodeURIComponent(name)}`, { key: h.stack.adminKey })).body.data as Array<{ name: string }>).filter((k) => k.name === name);

  it('a slash command is dropped: no key made, nothing posted to the URL', async () => {
    const form = h.commandForm('create exfil --type viewer --scopes models:read', 'unused').replace(/response_url=[^&]*/, `response_url=${encodeURIComponent(`${evilUrl}/commands/x`)}`);
    const res = await h.post(form, 'application/x-www-form-urlencoded');
    expect(res.status).toBe(200);
    // A control command after it is answered on Slack's side as usual.
    const { responseId } = await h.command('help');
    expect(textOf((await h.answer(responseId)).body)).toContain('Keywarden commands');
    expect(await keysNamed('exfil')).toEqual([]);
    expect(evilHits).toEqual([]);
  });

  it('a create modal whose saved response_url is off Slack delivers the key to the submitter’s DM instead', async () => {
    const res = await h.submitView(
      { callback_id: 'kw_create_key', private_metadata: JSON.stringify({ responseUrl: `${evilUrl}/commands/y`, channelId: 'C1' }) },
      {
        kw_name: { value: { type: 'plain_text_input', value: 'saved url key' } },
        kw_type: { value: { type: 'static_select', selected_option: { value: 'viewer' } } },
        kw_scopes: { value: { type: 'multi_static_select', selected_options: [{ value: 'models:read' }] } },
        kw_expires: { value: { type: 'plain_text_input', value: '30d' } },
        kw_prefix: { value: { type: 'plain_text_input', value: null } },
      },
      ADMIN_USER,
    );
    expect(res.status).toBe(200);
    const dm = await h.slack.waitFor((c) => c.kind === 'api' && c.method === 'chat.postMessage' && keysIn(c).length > 0);
    expect(keysIn(dm)).toHaveLength(1);
    expect(await keysNamed('saved url key')).toHaveLength(1);
    expect(evilHits).toEqual([]);
  });
});
