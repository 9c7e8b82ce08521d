/**
 * The money half of `npm run hostile` (issue 19, points 1 and 2), against its own local stack
 * (dynalite, the shipped handlers) and a stand-in upstream on 127.0.0.1:
 *
 *   - stream cut points: a real client (fetch) reads a recorded stream of each API up to every cut
 *     point (before the first event, then after each event) and aborts there — once with the
 *     upstream holding the rest until the client is gone, once with the upstream sending
 *     everything at once (usage right behind the last delta: the abort races it). A charge below
 *     the usage of what the client received, or above the full usage, is a violation.
 *   - the over-service bound under concurrency: CONCURRENT simultaneous calls of 1,000,000 tokens
 *     each (both APIs, streamed and not) on an account holding 5 credits. More calls admitted than
 *     the balance covered reservations, any served token not charged (usage records, balance and
 *     the price of the served usage must agree), a call admitted while in debt, or a grant that
 *     does not let calls through again is a violation.
 *   - the daily counters after all of it: the key's days (GET /v1/usage/daily?keyId=) and the
 *     account's must add up to their usage records — requests, tokens, credits — whatever was cut,
 *     refused or settled in debt (a model call counted by its settlement, another by its admission,
 *     a refused one by its record: docs/gateway.md "Daily counters").
 *
 * It asserts nothing; bench/hostile.ts prints the figures and adds up the violations. Run alone:
 * `npx tsx bench/hostile-money.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { roundCredits } from '../lambdas/core/credits';
import { daysOf } from './hostile-storage';
import { startTestStack, type TestStack } from '../test/support/local-stack';
import { readEvents, recordedApis, tokensReceived, type RecordedApi } from '../test/http/openai-relay/recorded-streams';
import { fixedResponse, startStandInUpstream, type StandInUpstream } from '../test/http/openai-relay/stand-in-upstream';

const PER_1K = 0.5;
const CONCURRENT = Number(process.env.HOSTILE_MONEY_CONCURRENT ?? 20);
const TOKENS = 1_000_000;
const START_BALANCE = 5;

const price = (tokens: number) => roundCredits((tokens / 1000) * PER_1K);

export async function hostileMoney(): Promise<{ figures: Record<string, string | number>; violations: string[] }> {
  const upstream = await startStandInUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'keywarden-hostile-money-'));
  const stack = await startTestStack(
    { UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'hostile-upstream', PRICE_PER_1K_TOKENS: String(PER_1K), PRICE_PER_REQUEST: '1', CREDIT_RESERVE: '1' },
    {},
    dir,
  );
  const figures: Record<string, string | number> = {};
  const violations: string[] = [];
  try {
    const made = await stack.json<{ key: string; id: string }>('/v1/keys', { key: stack.adminKey, body: { name: 'hostile money', type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } } });
    const key = made.body.key;
    await cutPoints(stack, upstream, key, figures, violations);
    await overService(stack, upstream, key, figures, violations);
    await daysAgree(stack, made.body.id, figures, violations);
  } finally {
    await stack.stop();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { figures, violations };
}

async function setBalance(stack: TestStack, amount: number): Promise<void> {
  await stack.idle();
  const account = await stack.services.store.getAccount(stack.bootstrap.accountId);
  await stack.services.operator.adjustCredits(stack.bootstrap.accountId, roundCredits(amount - account!.credits));
}

async function balance(stack: TestStack): Promise<number> {
  await stack.idle();
  return (await stack.services.store.getAccount(stack.bootstrap.accountId))!.credits;
}

async function recordOf(stack: TestStack, requestId: string) {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const page = await stack.services.store.queryUsage({ projectId: stack.bootstrap.projectId, requestId, limit: 1 });
    if (page.items[0]) return page.items[0];
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return undefined;
}

function post(stack: TestStack, key: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

/** Every cut point of both recorded streams, held and raced; charges checked against the usage received and the full usage. */
async function cutPoints(stack: TestStack, upstream: StandInUpstream, key: string, figures: Record<string, string | number>, violations: string[]): Promise<void> {
  await setBalance(stack, 1_000_000);
  let calls = 0;
  let atFull = 0;
  for (const api of recordedApis()) {
    const full = price(tokensReceived(api.events));
    for (const mode of ['held', 'raced'] as const) {
      for (let cut = 0; cut <= api.events.length; cut++) {
        const charged = await cutOnce(stack, upstream, key, api, cut, mode);
        calls += 1;
        const atLeast = price(tokensReceived(api.events.slice(0, cut)));
        if (charged === undefined) violations.push(`${api.name} cut after ${cut} (${mode}): no usage record`);
        else if (charged < atLeast || charged > full) violations.push(`${api.name} cut after ${cut} (${mode}): charged ${charged}, bounds [${atLeast}, ${full}]`);
        else if (charged === full) atFull += 1;
      }
    }
  }
  figures['stream cut points tried (both APIs, held and raced)'] = calls;
  figures['cut streams charged their full usage'] = atFull;
}

async function cutOnce(stack: TestStack, upstream: StandInUpstream, key: string, api: RecordedApi, cut: number, mode: 'held' | 'raced'): Promise<number | undefined> {
  let release!: () => void;
  const rest = new Promise<void>((resolve) => (release = resolve));
  let hungUp!: () => void;
  const closed = new Promise<void>((resolve) => (hungUp = resolve));
  upstream.handle(async (_req, res) => {
    res.once('close', () => hungUp());
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders(); // the status line goes out even when the cut is before the first event
    if (mode === 'raced') {
      for (const e of api.events) res.write(e.wire);
      res.end();
      return;
    }
    for (const e of api.events.slice(0, cut)) res.write(e.wire);
    await rest;
    for (const e of api.events.slice(cut)) if (!res.destroyed) res.write(e.wire);
    res.end();
  });
  const before = await balance(stack);
  const abort = new AbortController();
  const res = await post(stack, key, api.path, api.body, abort.signal);
  const requestId = res.headers.get('x-request-id');
  if (cut > 0) await readEvents(res, cut).catch(() => 0);
  abort.abort();
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 50))]);
  release();
  const record = requestId ? await recordOf(stack, requestId) : undefined;
  const moved = roundCredits(before - (await balance(stack)));
  if (record && moved !== record.credits) return -1; // the balance and the record disagree: below any bound
  return record?.credits;
}

/** CONCURRENT 1M-token calls on 5 credits: admitted within the reservations, every served token charged, debt refuses, a grant repays. */
async function overService(stack: TestStack, upstream: StandInUpstream, key: string, figures: Record<string, string | number>, violations: string[]): Promise<void> {
  await setBalance(stack, START_BALANCE);
  let arrivals = 0;
  let refused = 0;
  let open!: () => void;
  const released = new Promise<void>((resolve) => (open = resolve));
  const check = () => (arrivals >= START_BALANCE || arrivals + refused >= CONCURRENT) && open();
  upstream.handle(async (req, res) => {
    arrivals += 1;
    check();
    await released;
    const streamed = JSON.parse(req.body.toString('utf8')).stream === true;
    if (req.url.endsWith('/responses') && !streamed) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fixedResponse({ usage: { input_tokens: TOKENS / 2, output_tokens: TOKENS / 2 } })));
      return;
    }
    if (!streamed) {
      const completion = {
        id: 'chatcmpl-standin',
        object: 'chat.completion',
        created: 1,
        model: 'archibot',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: TOKENS / 2, completion_tokens: TOKENS / 2, total_tokens: TOKENS },
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (req.url.endsWith('/responses')) {
      const done = fixedResponse({ usage: { input_tokens: TOKENS / 2, output_tokens: TOKENS / 2 } });
      res.end(`event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', sequence_number: 0, response: done })}\n\n`);
      return;
    }
    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'archibot', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'stop' }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'archibot', choices: [], usage: { prompt_tokens: TOKENS / 2, completion_tokens: TOKENS / 2, total_tokens: TOKENS } })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  const bodies = [
    ['/v1/responses', { model: 'archibot', input: 'a lot' }],
    ['/v1/responses', { model: 'archibot', input: 'a lot', stream: true }],
    ['/v1/chat/completions', { model: 'archibot', messages: [{ role: 'user', content: 'a lot' }] }],
    ['/v1/chat/completions', { model: 'archibot', messages: [{ role: 'user', content: 'a lot' }], stream: true }],
  ] as const;
  const outcomes = await Promise.all(
    Array.from({ length: CONCURRENT }, async (_, i) => {
      const [path, body] = bodies[i % bodies.length]!;
      const res = await post(stack, key, path, body);
      const text = await res.text();
      if (res.status !== 200) {
        refused += 1;
        check();
        return { status: res.status, code: (JSON.parse(text) as { error?: { code?: string } }).error?.code };
      }
      return { status: 200, requestId: res.headers.get('x-request-id')! };
    }),
  );
  upstream.reset();
  const served = outcomes.filter((o) => o.status === 200);
  const final = await balance(stack);
  const records = await Promise.all(served.map((o) => recordOf(stack, o.requestId!)));
  const recorded = roundCredits(records.reduce((sum, r) => sum + (r?.credits ?? 0), 0));
  const servedTokens = records.reduce((sum, r) => sum + (r?.usage?.totalTokens ?? 0), 0);
  const debited = roundCredits(START_BALANCE - final);
  figures[`concurrent ${TOKENS.toLocaleString('en')}-token calls on ${START_BALANCE} credits`] = CONCURRENT;
  figures['admitted (reservations the balance covered)'] = served.length;
  figures['refused 429 insufficient_quota'] = outcomes.filter((o) => o.status === 429 && o.code === 'insufficient_quota').length;
  figures['tokens served'] = servedTokens;
  figures['credits charged (usage records)'] = recorded;
  figures['credits debited (balance)'] = debited;
  figures['balance after (negative = debt)'] = final;
  figures['tokens served but not charged'] = Math.max(0, servedTokens - Math.round((debited / PER_1K) * 1000));

  if (served.length > START_BALANCE) violations.push(`over-service: ${served.length} calls admitted on ${START_BALANCE} credits (reservation 1)`);
  if (outcomes.some((o) => o.status !== 200 && !(o.status === 429 && o.code === 'insufficient_quota'))) violations.push('a concurrent call failed otherwise than 429 insufficient_quota');
  if (recorded !== debited) violations.push(`usage records say ${recorded} credits, the balance moved by ${debited}`);
  if (debited !== price(servedTokens)) violations.push(`${servedTokens} tokens served cost ${price(servedTokens)} credits, ${debited} were charged`);

  const inDebt = await post(stack, key, '/v1/responses', { model: 'archibot', input: 'in debt' });
  const inDebtCode = inDebt.status === 200 ? undefined : ((await inDebt.json()) as { error?: { code?: string } }).error?.code;
  if (inDebt.status === 200) await inDebt.text();
  if (final < 1 && !(inDebt.status === 429 && inDebtCode === 'insufficient_quota')) violations.push(`a call with the balance at ${final} answered ${inDebt.status}`);
  await stack.services.operator.adjustCredits(stack.bootstrap.accountId, roundCredits(-final + 2));
  const repaid = await post(stack, key, '/v1/responses', { model: 'archibot', input: 'repaid' });
  await repaid.text();
  if (repaid.status !== 200) violations.push(`after a grant repaying the debt, a call answered ${repaid.status}`);
}

/** The key's and the account's daily counters against their usage records (the last 2 UTC days: a run may cross midnight). */
async function daysAgree(stack: TestStack, keyId: string, figures: Record<string, string | number>, violations: string[]): Promise<void> {
  type Totals = { requests: number; totalTokens: number; credits: number };
  const sumLog = (totals: Totals[]) => totals.reduce((a, t) => ({ requests: a.requests + t.requests, tokens: a.tokens + t.totalTokens, credits: roundCredits(a.credits + t.credits) }), { requests: 0, tokens: 0, credits: 0 });
  await stack.idle();
  const keyDays = await daysOf(stack, `keyId=${keyId}&`);
  const keyLog = sumLog((await stack.json<{ totals: Totals[] }>(`/v1/usage?keyId=${keyId}&limit=1`, { key: stack.adminKey })).body.totals);
  await stack.idle();
  // The account's chart counts itself (its admission, before it reads), and every call before it;
  // the log read next holds the records of all of them (its own is written after its answer).
  const accountDays = await daysOf(stack, '');
  await stack.idle();
  const accountLog = sumLog((await stack.json<{ totals: Totals[] }>('/v1/usage?limit=1', { key: stack.adminKey })).body.totals);
  figures['key: calls in its days / in its usage log'] = `${keyDays.requests} / ${keyLog.requests}`;
  figures['account: credits in its days / in its usage log'] = `${accountDays.credits} / ${accountLog.credits}`;
  for (const [who, days, log] of [['the key', keyDays, keyLog], ['the account', accountDays, accountLog]] as const) {
    if (days.requests !== log.requests || days.tokens !== log.tokens || days.credits !== log.credits) {
      violations.push(`${who}'s daily counters say ${JSON.stringify(days)}, its usage records ${JSON.stringify(log)}`);
    }
  }
}

if (process.argv[1]?.endsWith('hostile-money.ts')) {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { figures, violations } = await hostileMoney();
  for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(58)} ${value}`);
  console.log(`\nViolations: ${violations.length}`);
  for (const v of violations) console.log(`  ${v}`);
  process.exit(0);
}
