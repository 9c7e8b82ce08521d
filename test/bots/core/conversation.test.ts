import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conversation, KeywardenClient, decodeAction, encodeAction, type NewKeyReply, type PrivateDelivery, type Reply } from '../../../bots/core';
import { startTestStack, type TestStack } from '../../support/local-stack';

const ADMIN = 'slack:T1:UADMIN';
const MEMBER = 'slack:T1:UMEMBER';

/**
 * The private-delivery port as an edge implements it, keeping what it posted. `needsOpening`
 * as on Teams outside the 1:1 chat; `fail` as a post that does not go through.
 */
function privately(options: { needsOpening?: boolean; fail?: boolean } = {}): PrivateDelivery & { delivered: NewKeyReply[]; opened: number } {
  const port = {
    delivered: [] as NewKeyReply[],
    opened: 0,
    needsOpening: options.needsOpening ?? false,
    async open() {
      port.opened += 1;
      return {
        ok: true as const,
        channel: {
          where: 'here' as const,
          async deliver(reply: NewKeyReply) {
            if (options.fail) throw new Error('the post failed');
            port.delivered.push(reply);
          },
        },
      };
    },
  };
  return port;
}

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
    const list = kind(await conversation.command('list', MEMBER, privately()), 'key_list');
    expect(list.keys.map((k) => k.name)).toContain('Slack bot viewer key');

    const port = privately();
    const said = kind(await conversation.command('create core test --type viewer', ADMIN, port), 'key_delivered');
    // The value went to the delivery port only; the answer names the key by its start.
    const [created] = port.delivered;
    expect(created!.secret).toMatch(/^archie_/);
    expect(created!.setupScript).toContain(created!.secret);
    expect(created!.to).toBe(ADMIN);
    expect(created!.key).not.toHaveProperty('key');
    expect(said).toMatchObject({ action: 'create', where: 'here', key: { id: created!.key.id } });
    expect(JSON.stringify(said)).not.toContain(created!.secret);

    const shown = kind(await conversation.command('show "core test"', MEMBER, privately()), 'key_details');
    expect(shown.key.id).toBe(created!.key.id);

    const confirm = kind(await conversation.command(`rotate ${created!.key.start}`, ADMIN, privately()), 'confirm');
    expect(confirm.summary).toContain('core test');
    // Nothing happened yet.
    expect((await stack.json(`/v1/keys/${created!.key.id}`, { key: stack.adminKey })).body.status).toBe('active');
    const action = decodeAction(encodeAction(confirm.action))!;
    const clicked = privately();
    const rotated = kind(await conversation.confirm(action, ADMIN, clicked), 'key_delivered');
    // What the old key's end of life is comes from the rotate answer: revoked now, no grace.
    expect(rotated.replaced).toEqual({ id: created!.key.id, start: created!.key.start, graceUntil: null });
    expect(clicked.delivered[0]!.replaced).toEqual(rotated.replaced);
    expect(clicked.delivered[0]!.secret).not.toBe(created!.secret);
    expect((await stack.json(`/v1/keys/${created!.key.id}`, { key: stack.adminKey })).body.status).toBe('revoked');

    // Same name twice now: the single active one wins.
    const audit = kind(await conversation.command('audit core test', MEMBER, privately()), 'audit_list');
    expect(audit.key.id).toBe(rotated.key.id);
  });

  it('refuses non-admins, asks for the id when ambiguous, suggests commands', async () => {
    const port = privately();
    expect(kind(await conversation.command('create x', MEMBER, port), 'error').code).toBe('not_admin');
    expect(port.delivered).toEqual([]);
    expect(kind(await conversation.command('rotate Slack bot viewer key', MEMBER, privately()), 'error').code).toBe('not_admin');
    await conversation.command('create twin one', ADMIN, privately());
    await conversation.command('create twin two', ADMIN, privately());
    const ambiguous = kind(await conversation.command('revoke twin', ADMIN, privately()), 'ambiguous');
    expect(ambiguous.candidates).toHaveLength(2);
    expect(kind(await conversation.command('lsit', ADMIN, privately()), 'error').message).toContain('list');
    expect(kind(await conversation.message('hello there', MEMBER, privately()), 'chat_answer').text).toContain('hello there');
  });

  it('a click acts as the clicker, not as whoever asked', async () => {
    const port = privately();
    await conversation.command('create clicked', ADMIN, port);
    const [created] = port.delivered;
    const confirm = kind(await conversation.command(`revoke ${created!.key.id}`, ADMIN, privately()), 'confirm');
    expect(kind(await conversation.confirm(confirm.action, MEMBER, privately()), 'error').code).toBe('not_admin');
    expect(kind(await conversation.confirm(confirm.action, ADMIN, privately()), 'done').key.status).toBe('revoked');
  });

  it('opens a private place that must be opened only for an admin; a key that cannot be delivered is revoked', async () => {
    const member = privately({ needsOpening: true });
    expect(kind(await conversation.command('create never opened', MEMBER, member), 'error').code).toBe('not_admin');
    expect(member.opened).toBe(0);

    const admin = privately({ needsOpening: true });
    kind(await conversation.command('create opened first', ADMIN, admin), 'key_delivered');
    expect(admin.opened).toBe(1);

    const broken = privately({ fail: true });
    const undelivered = kind(await conversation.command('create lost in transit', ADMIN, broken), 'error');
    expect(undelivered.code).toBe('undelivered');
    expect(undelivered.message).toContain('so I revoked it');
    const [lost] = (await stack.json('/v1/keys?search=lost%20in%20transit', { key: stack.adminKey })).body.data;
    expect(lost.status).toBe('revoked');
  });

  it('leak guard finds live keys only, and revokes them at once', async () => {
    const port = privately();
    await conversation.command('create leaky', ADMIN, port);
    const [created] = port.delivered;
    const findings = await conversation.scanForLeaks(`oops ${created!.secret} and archie_${'a'.repeat(28)}`, MEMBER, 'https://test.slack.com/archives/C1/p1');
    expect(findings).toHaveLength(1);
    expect(findings[0]!.key).toMatchObject({ id: created!.key.id, status: 'revoked', exposure: { source: 'chat', location: 'https://test.slack.com/archives/C1/p1' } });
    expect(findings[0]!.handled).toBe('revoked');
    expect(findings[0]!.revoke).toBeUndefined();
    expect(findings[0]!.admins.map((a) => a.identity)).toEqual([ADMIN]);
    expect(findings[0]!.admins[0]!.reply).toMatchObject({ handled: 'revoked' });
    expect(JSON.stringify(findings)).not.toContain(created!.secret);
    const call = await stack.json('/v1/models', { key: created!.secret });
    expect(call).toMatchObject({ status: 401, body: { error: { code: 'key_revoked' } } });
    expect(await conversation.scanForLeaks('nothing here', MEMBER, 'C1')).toEqual([]);
  });

  it('a paused key is a leak too: it is one resume away from working, so it is revoked', async () => {
    const made = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'paused leak', type: 'viewer' } })).body;
    expect((await stack.json(`/v1/keys/${made.id}/disable`, { key: stack.adminKey, method: 'POST' })).status).toBe(200);
    const [finding] = await conversation.scanForLeaks(`here ${made.key}`, MEMBER, 'C1');
    expect(finding?.key).toMatchObject({ id: made.id, status: 'revoked' });
    expect(finding?.handled).toBe('revoked');
  });
});

describe('the calls the core makes', () => {
  let stack: TestStack;
  let conversation: Conversation;
  const paths: string[] = [];
  const calls: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ KEYWARDEN_ADMINS: ADMIN });
    const recordingFetch: typeof fetch = (input, init) => {
      paths.push(String(input));
      calls.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname.replace(/key_\w+/, '{id}')}`);
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

  // Issue 9 target: a rotate with its confirmation is at most three /v1 calls; it takes two. The
  // admin check, carrying the search that resolves <key> (and what the confirmation shows),
  // answers the command; the click is the rotate alone — its answer says when the old key stops,
  // and carries the person's assertion, so the API itself refuses a non-admin.
  it('rotate with confirmation: one check-and-search for the command, the rotate alone for the click', async () => {
    await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'three calls', type: 'viewer' } });
    await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'warm-up', type: 'viewer' } });
    await conversation.command('create warm up the key id', ADMIN, privately()); // the viewer key's id is read once per instance
    calls.length = 0;
    const confirm = await conversation.command('rotate three calls --overlap 1h', ADMIN, privately());
    expect(confirm.kind).toBe('confirm');
    expect(calls).toEqual(['POST /v1/admins/check']);
    calls.length = 0;
    const port = privately();
    const rotated = await conversation.confirm((confirm as Extract<Reply, { kind: 'confirm' }>).action, ADMIN, port);
    expect(calls).toEqual(['POST /v1/keys/{id}/rotate']);
    expect(rotated).toMatchObject({ kind: 'key_delivered', replaced: { graceUntil: expect.any(String) } });
    expect(port.delivered).toHaveLength(1);
  });

  it('a whole key value typed as <key> is resolved through verify (POST body), never put in a URL, and never echoed', async () => {
    const created = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'typed whole' } })).body;
    const shown = await conversation.command(`show ${created.key}`, MEMBER, privately());
    expect(shown).toMatchObject({ kind: 'key_details', key: { id: created.id } });
    const listed = await conversation.command(`list ${created.key}`, MEMBER, privately());
    expect(listed).toMatchObject({ kind: 'key_list', keys: [{ id: created.id }] });
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(paths.some((p) => p.includes(created.key))).toBe(false);
  });
});

/** The bots chat with the catalog's first model, whatever the operator named it (SPEC §4, MODELS). */
describe('end-user chat follows the model catalog', () => {
  let stack: TestStack;
  afterAll(() => stack?.stop());

  it('answers with the first model the viewer key may use, not a hard-coded one', async () => {
    stack = await startTestStack({ MODELS: 'helpdesk=gpt-4.1-mini,helpdesk-mini' });
    const client = new KeywardenClient({ baseUrl: stack.url, viewerKey: stack.secrets.botViewerKeys!.slack, assertionSecret: stack.secrets.botAssertion.current, bot: 'slack' });
    const reply = await new Conversation({ client }).message('where is the plotter?', MEMBER, privately());
    expect(reply).toMatchObject({ kind: 'chat_answer' });
    await stack.idle();
    const usage = await stack.json('/v1/usage', { key: stack.adminKey });
    expect(usage.body.data.find((r: { route: string }) => r.route === 'POST /v1/responses')).toMatchObject({ model: 'helpdesk', status: 200 });
  });
});
