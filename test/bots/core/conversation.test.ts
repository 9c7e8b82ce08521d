import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conversation, KeywardenClient, decodeAction, encodeAction, type Reply } from '../../../bots/core';
import { startTestStack, type TestStack } from '../../support/local-stack';

const ADMIN = 'slack:T1:UADMIN';
const MEMBER = 'slack:T1:UMEMBER';

/** The core against the real local stack over HTTP, as the Teams edge will use it. */
describe('conversation core against /v1', () => {
  let stack: TestStack;
  let conversation: Conversation;

  beforeAll(async () => {
    stack = await startTestStack({ KEYWARDEN_ADMINS: ADMIN });
    const client = new KeywardenClient({
      baseUrl: stack.url,
      viewerKey: stack.secrets.botViewerKeys!.slack,
      assertionSecret: stack.secrets.botAssertion.current,
      bot: 'slack',
    });
    conversation = new Conversation({ client });
  });
  afterAll(() => stack?.stop());

  const kind = <K extends Reply['kind']>(reply: Reply, k: K): Extract<Reply, { kind: K }> => {
    expect(reply.kind, JSON.stringify(reply)).toBe(k);
    return reply as Extract<Reply, { kind: K }>;
  };

  it('lists, creates, shows, rotates with confirmation and audits', async () => {
    const list = kind(await conversation.command('list', MEMBER), 'key_list');
    expect(list.keys.map((k) => k.name)).toContain('Slack bot viewer key');

    const created = kind(await conversation.command('create core test --type viewer', ADMIN), 'new_key');
    expect(created.secret).toMatch(/^archie_/);
    expect(created.setupScript).toContain(created.secret);
    expect(created.to).toBe(ADMIN);
    expect(created.key).not.toHaveProperty('key');

    const shown = kind(await conversation.command('show "core test"', MEMBER), 'key_details');
    expect(shown.key.id).toBe(created.key.id);

    const confirm = kind(await conversation.command(`rotate ${created.key.start}`, ADMIN), 'confirm');
    expect(confirm.summary).toContain('core test');
    // Nothing happened yet.
    expect((await stack.json(`/v1/keys/${created.key.id}`, { key: stack.adminKey })).body.status).toBe('active');
    const action = decodeAction(encodeAction(confirm.action))!;
    const rotated = kind(await conversation.confirm(action, ADMIN), 'new_key');
    expect(rotated.replaced?.id).toBe(created.key.id);
    expect((await stack.json(`/v1/keys/${created.key.id}`, { key: stack.adminKey })).body.status).toBe('revoked');

    // Same name twice now: the single active one wins.
    const audit = kind(await conversation.command('audit core test', MEMBER), 'audit_list');
    expect(audit.key.id).toBe(rotated.key.id);
  });

  it('refuses non-admins, asks for the id when ambiguous, suggests commands', async () => {
    expect(kind(await conversation.command('create x', MEMBER), 'error').code).toBe('not_admin');
    await conversation.command('create twin one', ADMIN);
    await conversation.command('create twin two', ADMIN);
    const ambiguous = kind(await conversation.command('revoke twin', ADMIN), 'ambiguous');
    expect(ambiguous.candidates).toHaveLength(2);
    expect(kind(await conversation.command('lsit', ADMIN), 'error').message).toContain('list');
    expect(kind(await conversation.message('hello there', MEMBER), 'chat_answer').text).toContain('hello there');
  });

  it('a click acts as the clicker, not as whoever asked', async () => {
    const created = kind(await conversation.command('create clicked', ADMIN), 'new_key');
    const confirm = kind(await conversation.command(`revoke ${created.key.id}`, ADMIN), 'confirm');
    expect(kind(await conversation.confirm(confirm.action, MEMBER), 'error').code).toBe('not_admin');
    expect(kind(await conversation.confirm(confirm.action, ADMIN), 'done').key.status).toBe('revoked');
  });

  it('leak guard finds live keys only', async () => {
    const created = kind(await conversation.command('create leaky', ADMIN), 'new_key');
    const findings = await conversation.scanForLeaks(`oops ${created.secret} and archie_${'a'.repeat(28)}`, MEMBER);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.key.id).toBe(created.key.id);
    expect(findings[0]!.admins.map((a) => a.identity)).toEqual([ADMIN]);
    expect(JSON.stringify(findings)).not.toContain(created.secret);
    expect(await conversation.scanForLeaks('nothing here', MEMBER)).toEqual([]);
  });
});

describe('a whole key value typed as <key>', () => {
  let stack: TestStack;
  let conversation: Conversation;
  const paths: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ KEYWARDEN_ADMINS: ADMIN });
    const recordingFetch: typeof fetch = (input, init) => {
      paths.push(String(input));
      return fetch(input, init);
    };
    conversation = new Conversation({
      client: new KeywardenClient({
        baseUrl: `${stack.url}/v1`,
        viewerKey: stack.secrets.botViewerKeys!.slack,
        assertionSecret: stack.secrets.botAssertion.current,
        bot: 'slack',
        fetch: recordingFetch,
      }),
    });
  });
  afterAll(() => stack?.stop());

  it('is resolved through verify (POST body), never put in a URL, and never echoed', async () => {
    const created = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'typed whole' } })).body;
    const shown = await conversation.command(`show ${created.key}`, MEMBER);
    expect(shown).toMatchObject({ kind: 'key_details', key: { id: created.id } });
    const listed = await conversation.command(`list ${created.key}`, MEMBER);
    expect(listed).toMatchObject({ kind: 'key_list', keys: [{ id: created.id }] });
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(paths.some((p) => p.includes(created.key))).toBe(false);
  });
});
