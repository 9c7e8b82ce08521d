/**
 * The claims and leak-guard half of `npm run hostile` (issue 19, points 3 and 7), against its own
 * local stack with the Slack mount (dynalite, Bolt's receiver, requests signed as Slack signs them,
 * the stand-in Slack Web API):
 *
 *   - claim squatting: every key that is not a bot — the admin key, a keys:read viewer key, a
 *     privileged keys:write key, a plain viewer key, the bots' own keys without their proof —
 *     tries to pre-claim, for 90 days, every id it could compute for what the Slack bot will
 *     need: the leak alert of a live key, the expiry reminders of a key about to expire (each
 *     admin and threshold), and the Events API delivery that will carry the leak; as the old
 *     sha256 digests, as digests of the new names, as HMACs under guessed secrets, and with a
 *     proof copied from the bot or signed under a guessed secret. Another project's bot claims
 *     the very same ids with a valid proof. A claim accepted from a non-bot key, a 5xx, the leak
 *     then not alerted (poster and admin) or a reminder not sent is a violation.
 *   - leak-guard shapes: a live key posted in a channel in Slack italics, bold/strike/code marks,
 *     with zero-width characters inside, split across lines, as a link label, glued to words,
 *     with `&#95;` for its `_`, and after 6 and after 60 other checksum-passing strings. A shape
 *     the bot does not alert, or a channel message carrying a key, is a violation.
 *
 * It asserts nothing; bench/hostile.ts prints the figures and adds up the violations. Run alone:
 * `npx tsx bench/hostile-claims.ts`.
 */
import { createHash } from 'node:crypto';
import { botLog } from '../bots/boot/bot-log';
import { slackBotConfig } from '../bots/boot/bot-config';
import { SlackWorkReceiver } from '../bots/slack/ack-first/worker';
import { sendSlackReminders } from '../bots/slack/expiry-reminders';
import { createSlackBot } from '../bots/slack/slack-app';
import { deliveryClaimId, signDeliveryClaim } from '../lambdas/core/delivery-claim';
import { generateKey } from '../lambdas/core/key-format';
import { ADMIN, ADMIN_USER, CHANNEL, MEMBER_USER, SIGNING_SECRET, TEAM, keysIn, startSlackHarness, type SlackHarness } from '../test/bots/slack/slack-harness';
import type { RecordedCall } from '../test/bots/slack/slack-stand-in';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const GUESSES = ['', 'guess', 'keywarden', 'secret'];

export async function hostileClaims(): Promise<{ figures: Record<string, string | number>; violations: string[] }> {
  const h = await startSlackHarness();
  const figures: Record<string, string | number> = {};
  const violations: string[] = [];
  try {
    await squatting(h, figures, violations);
    await shapes(h, figures, violations);
  } finally {
    await h.stop();
  }
  return { figures, violations };
}

type ApiCall = Extract<RecordedCall, { kind: 'api' }>;

async function me(h: SlackHarness, key: string): Promise<string> {
  return (await h.stack.json('/v1/me', { key })).body.id as string;
}

async function created(h: SlackHarness, body: Record<string, unknown>): Promise<{ id: string; key: string; start: string; expiresAt: string }> {
  const res = await h.stack.json('/v1/keys', { key: h.stack.adminKey, body });
  if (res.status !== 201) throw new Error(`could not create a key for the hostile run (${res.status})`);
  return res.body;
}

/** The poster's ephemeral notice and an admin's DM naming `start`, after `from`; false when either never came. */
async function alerted(h: SlackHarness, from: number, start: string): Promise<boolean> {
  const named = (c: RecordedCall, method: string, where: (c: ApiCall) => boolean) =>
    c.kind === 'api' && c.method === method && where(c) && JSON.stringify(c.args).includes(start);
  try {
    await h.slack.waitFor((c) => named(c, 'chat.postEphemeral', (a) => a.args.user === MEMBER_USER), { from, timeoutMs: 4_000 });
    await h.slack.waitFor((c) => named(c, 'chat.postMessage', (a) => a.args.channel === `D${ADMIN_USER.slice(1)}`), { from, timeoutMs: 2_000 });
    return true;
  } catch {
    return false;
  }
}

let eventCounter = 0;
let ts = 1_900_000_000;
function channelEvent(h: SlackHarness, text: string, eventId = `EvHostile${++eventCounter}`): Promise<Response> {
  return h.post(
    JSON.stringify({
      token: 'legacy-verification-token',
      team_id: TEAM,
      api_app_id: 'A1',
      event: { type: 'message', channel: CHANNEL, channel_type: 'channel', user: MEMBER_USER, text, ts: `${++ts}.000100` },
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: TEAM, user_id: 'UBOT', is_bot: true }],
    }),
    'application/json',
  );
}

async function squatting(h: SlackHarness, figures: Record<string, string | number>, violations: string[]): Promise<void> {
  const secret = h.stack.secrets.botAssertion.current;
  const slackBot = h.stack.secrets.botViewerKeys!.slack;
  const slackBotId = await me(h, slackBot);
  const nonBots: Record<string, string> = {
    'admin key': h.stack.adminKey,
    'keys:read viewer key': (await created(h, { name: 'hostile reader', type: 'viewer', scopes: ['keys:read'] })).key,
    'keys:write privileged key': (await created(h, { name: 'hostile manager', scopes: ['keys:read', 'keys:write'] })).key,
    'viewer key': (await created(h, { name: 'hostile viewer', type: 'viewer' })).key,
    'Teams bot key without its proof': h.stack.secrets.botViewerKeys!.teams,
    'Slack bot key without its proof': slackBot,
  };

  const leaked = await created(h, { name: 'hostile leaked' });
  const expiring = await created(h, { name: 'hostile expiring', expiresIn: '13d' });
  const eventId = `EvSquatted${Date.now()}`;
  const admins = ((await h.stack.json('/v1/admins', { key: nonBots['keys:read viewer key']! })).body.data as { identity: string }[]).map((a) => a.identity);
  const names = [
    `leak-alert:slack:${leaked.id}`,
    `slack-event:${eventId}`,
    ...admins.flatMap((admin) => ['14d', '3d', 'expired'].map((t) => `expiry-reminder:slack:${expiring.id}:${expiring.expiresAt}:${t}:${admin}`)),
  ];
  const ids = [...new Set(names.flatMap((name) => [sha256(name), ...GUESSES.map((g) => deliveryClaimId(g, name))]))];
  const realIds = names.map((name) => deliveryClaimId(secret, name));

  let attempts = 0;
  let accepted = 0;
  for (const [who, key] of Object.entries(nonBots)) {
    const keyId = await me(h, key);
    const bodies = [
      ...ids.map((id) => ({ id })),
      ...realIds.flatMap((id) => [{ id }, { id, proof: signDeliveryClaim(secret, slackBotId, id) }, ...GUESSES.map((g) => ({ id, proof: signDeliveryClaim(g, keyId, id) }))]),
    ];
    // The bot's own key with its own valid proof is the bot: not squatting.
    const squats = key === slackBot ? bodies.filter((b) => !('proof' in b) || b.proof !== signDeliveryClaim(secret, slackBotId, b.id)) : bodies;
    const statuses = await Promise.all(squats.map(async (body) => (await h.stack.json('/v1/bots/deliveries', { key, body: { ...body, keepForSeconds: 90 * 86_400 } })).status));
    attempts += statuses.length;
    const ok = statuses.filter((s) => s < 300).length;
    accepted += ok;
    if (ok > 0) violations.push(`claim squatting: the ${who} pre-claimed ${ok} of ${statuses.length} bot deliveries`);
    const fivexx = statuses.filter((s) => s >= 500).length;
    if (fivexx > 0) violations.push(`claim squatting: ${fivexx} claims by the ${who} answered 5xx`);
  }

  // Another project's bot (same bot secret, its own key) claims the very same ids, validly.
  const other = await h.stack.services.operator.createProject({ accountId: h.stack.bootstrap.accountId, name: 'hostile other project', actor: 'operator:hostile' });
  const otherId = await me(h, other.automator.secret);
  const otherStatuses = await Promise.all(realIds.map(async (id) => (await h.stack.json('/v1/bots/deliveries', { key: other.automator.secret, body: { id, proof: signDeliveryClaim(secret, otherId, id), keepForSeconds: 90 * 86_400 } })).status));
  figures['claims: another project’s bot claimed the same ids'] = `${otherStatuses.filter((s) => s === 200).length} of ${otherStatuses.length}`;
  figures['claims: squatting attempts by non-bot keys'] = attempts;
  figures['claims: squatting attempts accepted'] = accepted;

  // The bot still does its job: the leak is alerted through the squatted event, the reminders are sent.
  const from = h.slack.calls.length;
  await (await channelEvent(h, `here: ${leaked.key}`, eventId)).text();
  const leakAlerted = await alerted(h, from, leaked.start);
  figures['claims: leak alerted after squatting'] = leakAlerted ? 'yes' : 'no';
  if (!leakAlerted) violations.push('claim squatting: the live key posted after the squatting was not alerted to the poster and the admin');

  const bot = createSlackBot(
    slackBotConfig({ apiBaseUrl: h.stack.url, viewerKey: slackBot, assertionSecret: secret, signingSecret: SIGNING_SECRET, botToken: 'xoxb-test', slackApiUrl: h.slack.apiUrl }),
    new SlackWorkReceiver(),
    botLog('slack'),
  );
  const run = await sendSlackReminders(bot);
  const slackAdmins = admins.filter((a) => a.startsWith('slack:')).length;
  figures['claims: reminders sent after squatting'] = `${run.sent} of ${slackAdmins} (already sent: ${run.alreadySent})`;
  if (run.sent < slackAdmins || !admins.includes(ADMIN)) violations.push(`claim squatting: ${run.sent} of ${slackAdmins} expiry reminders sent after squatting (${run.alreadySent} reported already sent)`);
  for (const call of h.slack.calls.slice(from)) if (keysIn(call).length > 0) violations.push('a key value appeared in a Slack message during the claim run');
}

async function shapes(h: SlackHarness, figures: Record<string, string | number>, violations: string[]): Promise<void> {
  const lookAlikes = (n: number) => Array.from({ length: n }, (_, i) => `VAR_${i}=${generateKey()}`).join('\n');
  const all: [string, (key: string) => string][] = [
    ['Slack italics', (k) => `the token is _${k}_`],
    ['bold, strike and code marks', (k) => `*~\`${k}\`~*`],
    ['zero-width characters inside', (k) => `${k.slice(0, 5)}\u200b${k.slice(5, 18)}\u2060${k.slice(18, 30)}\ufeff${k.slice(30)}`],
    ['split across lines', (k) => `${k.slice(0, 12)}\n${k.slice(12, 24)}\n  ${k.slice(24)}`],
    ['a link label', (k) => `<https://example.com/docs|${k}>`],
    ['glued to words', (k) => `token${k}please`],
    ['&#95; for its underscore', (k) => k.replace('_', '&#95;')],
    ['underscores inside (italic marks mid-key)', (k) => `_${k.slice(0, 12)}_${k.slice(12)}_`],
    ['after 6 checksum-passing look-alikes', (k) => `${lookAlikes(6)}\nAPI_KEY=${k}`],
    ['after 60 checksum-passing look-alikes', (k) => `${lookAlikes(60)}\nAPI_KEY=${k}`],
  ];
  let caught = 0;
  for (const [shape, write] of all) {
    const live = await created(h, { name: `hostile shape ${shape}` });
    const from = h.slack.calls.length;
    await (await channelEvent(h, write(live.key))).text();
    if (await alerted(h, from, live.start)) caught += 1;
    else violations.push(`leak guard: a live key posted with ${shape} was not alerted`);
    for (const call of h.slack.calls.slice(from)) if (keysIn(call).length > 0) violations.push(`leak guard: a key value appeared in a Slack message (${shape})`);
  }
  figures['leak guard: shapes alerted'] = `${caught} of ${all.length}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const { figures, violations } = await hostileClaims();
  console.log(figures);
  console.log(violations.length === 0 ? 'no violations' : violations.join('\n'));
  process.exit(0);
}
