import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slackMount } from '../bots/slack';
import type { BotMount } from '../bots/boot/bot-mount';
import { buttonValue, keysIn, startSlackHarness } from '../test/bots/slack/slack-harness';
import { countRoundTrips, sequentialSteps, type RoundTripCounter } from './round-trips';

/**
 * What one Slack `/apikeys rotate <key>` with its confirmation costs, from the signed command to
 * the new key delivered at the click's response_url: the bot's `/v1` calls (hops) and the
 * DynamoDB round trips the API makes for them. Measured through the real Slack mount — requests
 * signed as Slack signs them and verified by Bolt's receiver, a stand-in Slack Web API and
 * response_urls (test/bots/slack/slack-harness.ts) — against the real local stack. The bot's /v1
 * traffic goes through a counting proxy on loopback (the bot's API base is the proxy's);
 * round trips are counted at the stack's DynamoDB client (round-trips.ts).
 *
 * Every Slack request is first claimed once through `POST /v1/bots/deliveries` (the replay guard);
 * the command and the click are two Slack requests, so two claims. The figures count them apart:
 * `hops` / `roundTrips` without them, `claims` for them. The flow is measured warm (rotates
 * after the first on the same instance, the least of three); `coldExtra` lists what the first one
 * after a start adds.
 *
 * `roundTrips` counts every DynamoDB command (calls side by side each count: each is a request to
 * DynamoDB and its capacity); `steps` counts the sequential round trips among them (calls in
 * flight together count once: the time the person waits).
 */
export interface SlackRotateFigures {
  /** /v1 calls made for the command and the click, claims excluded. */
  hops: number;
  /** DynamoDB round trips of those calls before their answers (the critical path): every command counted. */
  roundTrips: number;
  /** The same calls as sequential round trips (calls side by side count once). */
  steps: number;
  /** Calls after the answers: every call's usage record (claims' included). */
  afterAnswer: number;
  /** The replay-guard claims (one per Slack request) and their round trips. */
  claims: { hops: number; roundTrips: number };
  /** Per Slack request, claims excluded: the calls (in the order they returned) and round trips. */
  command: Phase;
  click: Phase;
  /** Calls the first rotate after a cold start makes on top (the viewer key's own record, read once). */
  coldExtra: string[];
}

export interface Phase {
  calls: string[];
  /** Round trips before each answer (the critical path). */
  roundTrips: number;
  /** Those as sequential round trips (calls side by side count once). */
  steps: number;
  /** The DynamoDB commands before the answers, in order. */
  commands: string[];
  /** Calls made after the answers (usage records, the claims' included). */
  afterAnswer: number;
}

interface Seen {
  call: string;
  claim: boolean;
  /** This call's window in the counter's command list. */
  from: number;
  to: number;
}

/** Forwards to `target`, recording each request and where its DynamoDB window starts and ends (its answer's arrival). */
async function startCountingProxy(target: string, counter: RoundTripCounter): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const base = new URL(target);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname.replace(/\/key_[0-9A-Za-z]+/, '/{id}');
    const call = `${req.method} ${path}`;
    const from = counter.commands.length;
    const upstream = request({ host: base.hostname, port: base.port, method: req.method, path: req.url, headers: { ...req.headers, host: base.host } }, (answer) => {
      // The window closes as the answer arrives: what starts later (the local event relay, woken
      // by a confirmation) did not hold it up, however soon the body has been read through.
      const to = counter.commands.length;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('end', () => seen.push({ call, claim: call === 'POST /v1/bots/deliveries', from, to }));
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

/** Warm rotates measured; the figures are the least of them (see `measureSlackRotate`). */
const WARM_RUNS = 3;

export async function measureSlackRotate(): Promise<SlackRotateFigures> {
  let proxy: Awaited<ReturnType<typeof startCountingProxy>> | undefined;
  let counter: RoundTripCounter | undefined;
  const counting: BotMount = async (context) => {
    // The local relay (woken by a change's confirmation, or its periodic pass) is no call's work:
    // in AWS it is another function. Its calls are marked as it makes them, whenever it runs.
    const relayWork = new AsyncLocalStorage<true>();
    const relay = context.services.relay;
    const deliverSoon = relay.deliverSoon.bind(relay);
    const runDue = relay.runDue.bind(relay);
    relay.deliverSoon = (ready) => relayWork.run(true, () => deliverSoon(ready));
    relay.runDue = (limit) => relayWork.run(true, () => runDue(limit));
    counter = countRoundTrips(context.services, { elsewhere: () => relayWork.getStore() === true });
    proxy = await startCountingProxy(context.baseUrl, counter);
    return slackMount({ ...context, baseUrl: proxy.url });
  };
  const h = await startSlackHarness({}, { mount: counting });
  try {
    if (!proxy || !counter) throw new Error('the Slack mount was not started');
    const p = proxy;
    const c = counter;
    const mark = () => ({ seen: p.seen.length, command: c.commands.length });
    /**
     * One Slack request's share: the calls recorded between two marks, and the DynamoDB commands
     * in that span outside the claim's window. A claim runs alone (the replay guard awaits it
     * before any listener), so its window holds its own round trips only; the bot's other calls
     * may overlap each other (the admin check runs alongside the search), so they are counted
     * together, as the span less the claim.
     */
    const phase = (from: ReturnType<typeof mark>, to: ReturnType<typeof mark>) => {
      const seen = p.seen.slice(from.seen, to.seen);
      const claims = seen.filter((s) => s.claim);
      const commands: string[] = [];
      const spans: [number, number][] = [];
      let claimed = 0;
      let after = 0;
      const calls = seen.filter((s) => !s.claim);
      for (let i = from.command; i < to.command; i++) {
        if (claims.some((s) => i >= s.from && i < s.to)) claimed++;
        // After the answers: marked so by the transport (settlement, usage records), or made
        // while no /v1 call was waiting for its answer (the local relay delivering the change's
        // event, after the answer — in AWS, another function).
        else if (c.afterAnswer[i] || !calls.some((s) => i >= s.from && i < s.to)) after++;
        else {
          commands.push(c.commands[i]!);
          spans.push(c.spans[i]!);
        }
      }
      return {
        work: { calls: seen.filter((s) => !s.claim).map((s) => s.call), roundTrips: commands.length, steps: sequentialSteps(spans), commands, afterAnswer: after } satisfies Phase,
        claims: { hops: claims.length, roundTrips: claimed },
      };
    };
    const issue = async (name: string) => {
      const res = await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name, type: 'viewer' } });
      if (res.status !== 201) throw new Error(`POST /v1/keys answered ${res.status}`);
      // Used once, so the confirmation has a "last used" to show, as a real key would.
      await h.stack.call('/v1/models', { key: res.body.key as string });
    };
    const rotate = async (name: string) => {
      const start = mark();
      const asked = await h.command(`rotate ${name}`);
      const confirm = await h.answer(asked.responseId);
      await h.stack.idle(); // the calls' after-answer work (usage records) belongs to this phase
      const shown = mark();
      const click = await h.click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'));
      const done = await h.answer(click.responseId);
      if (keysIn(done).length !== 1) throw new Error(`the click did not deliver a new key: ${done.raw.slice(0, 200)}`);
      await h.stack.idle();
      return { command: phase(start, shown), click: phase(shown, mark()) };
    };
    const warmNames = Array.from({ length: WARM_RUNS }, (_, i) => `bench rotate warm ${i + 1}`);
    for (const name of ['bench rotate cold', ...warmNames]) await issue(name);
    const cold = await rotate('bench rotate cold');
    const runs: Awaited<ReturnType<typeof rotate>>[] = [];
    for (const name of warmNames) runs.push(await rotate(name));
    // The least of the warm runs: the local stack's other background work (its timed sweeps) can
    // fall inside a call's window on a loaded machine, and it only ever adds (the relay's calls are
    // marked as they are made); the flow's own calls are the same every run.
    const cost = (run: (typeof runs)[number]) => run.command.work.roundTrips + run.click.work.roundTrips;
    const warm = runs.reduce((least, run) => (cost(run) < cost(least) ? run : least));
    const warmCalls = [...warm.command.work.calls, ...warm.click.work.calls];
    return {
      hops: warmCalls.length,
      roundTrips: warm.command.work.roundTrips + warm.click.work.roundTrips,
      steps: warm.command.work.steps + warm.click.work.steps,
      afterAnswer: warm.command.work.afterAnswer + warm.click.work.afterAnswer,
      claims: { hops: warm.command.claims.hops + warm.click.claims.hops, roundTrips: warm.command.claims.roundTrips + warm.click.claims.roundTrips },
      command: warm.command.work,
      click: warm.click.work,
      coldExtra: [...cold.command.work.calls, ...cold.click.work.calls].filter((call) => !warmCalls.includes(call)),
    };
  } finally {
    await h.stop();
    if (proxy) {
      const { server } = proxy;
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    }
  }
}
