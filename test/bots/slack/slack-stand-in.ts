import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One recorded call: a Web API method, or a POST to a response_url. */
export type RecordedCall =
  | { kind: 'api'; method: string; args: Record<string, any>; raw: string }
  | { kind: 'response_url'; id: string; body: Record<string, any>; raw: string };

export interface SlackStandIn {
  /** Web API base for `SLACK_API_URL` (ends with /api/). */
  apiUrl: string;
  /** A fresh response_url on the stand-in. */
  responseUrl(id?: string): string;
  calls: RecordedCall[];
  /** response_url ids that answer 410 (an expired url): the call is recorded, the message not shown. */
  failResponses: Set<string>;
  api(method: string): Extract<RecordedCall, { kind: 'api' }>[];
  responses(id?: string): Extract<RecordedCall, { kind: 'response_url' }>[];
  /** Resolves with the first call (from index `from`) matching, or fails after `timeoutMs`. */
  waitFor<T extends RecordedCall>(match: (call: RecordedCall) => call is T, options?: { from?: number; timeoutMs?: number }): Promise<T>;
  waitFor(match: (call: RecordedCall) => boolean, options?: { from?: number; timeoutMs?: number }): Promise<RecordedCall>;
  close(): Promise<void>;
}

export const BOT_USER_ID = 'UBOT';

async function read(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The Web API client sends form fields; blocks and views arrive as JSON strings inside them. */
function parseArgs(raw: string, contentType: string | undefined): Record<string, any> {
  if (contentType?.includes('application/json')) return raw ? JSON.parse(raw) : {};
  const args: Record<string, any> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    try {
      args[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
    } catch {
      args[k] = v;
    }
  }
  return args;
}

/**
 * A stand-in for Slack's Web API and response_urls on 127.0.0.1 that records every call, so tests
 * can check exactly what the bot said, where, and to whom.
 */
export async function startSlackStandIn(): Promise<SlackStandIn> {
  const calls: RecordedCall[] = [];
  const failResponses = new Set<string>();
  let ts = 1_700_000_000;
  let responseCounter = 0;
  const server = createServer(async (req, res) => {
    const raw = await read(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const reply = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path.startsWith('/response/')) {
      const id = path.slice('/response/'.length);
      calls.push({ kind: 'response_url', id, body: raw ? JSON.parse(raw) : {}, raw });
      if (failResponses.has(id)) {
        res.writeHead(410, { 'content-type': 'text/plain' });
        res.end('expired_url');
        return;
      }
      return reply({ ok: true });
    }
    const method = path.replace(/^\/api\//, '');
    const args = parseArgs(raw, req.headers['content-type']);
    calls.push({ kind: 'api', method, args, raw });
    const nextTs = `${++ts}.000100`;
    switch (method) {
      case 'auth.test':
        return reply({ ok: true, user_id: BOT_USER_ID, bot_id: 'BBOT', team_id: 'T1', team: 'Test', user: 'keywarden' });
      case 'chat.postMessage':
        return reply({ ok: true, channel: args.channel, ts: nextTs, message: { text: args.text } });
      case 'chat.postEphemeral':
        return reply({ ok: true, message_ts: nextTs });
      case 'views.open':
        return reply({ ok: true, view: { id: 'V1', ...args.view } });
      case 'chat.getPermalink':
        return reply({ ok: true, channel: args.channel, permalink: `https://test.slack.com/archives/${args.channel}/p${String(args.message_ts).replace('.', '')}` });
      case 'conversations.open':
        return reply({ ok: true, channel: { id: `D${String(args.users).replace(/^U/, '')}` } });
      default:
        return reply({ ok: true });
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const waitFor = async (match: (call: RecordedCall) => boolean, options: { from?: number; timeoutMs?: number } = {}) => {
    const deadline = Date.now() + (options.timeoutMs ?? 5_000);
    for (;;) {
      const found = calls.slice(options.from ?? 0).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching Slack call; saw ${calls.map((c) => (c.kind === 'api' ? c.method : `response_url ${c.id}`)).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  return {
    apiUrl: `${base}/api/`,
    responseUrl: (id) => `${base}/response/${id ?? `r${++responseCounter}`}`,
    calls,
    failResponses,
    api: (method) => calls.filter((c): c is Extract<RecordedCall, { kind: 'api' }> => c.kind === 'api' && c.method === method),
    responses: (id) => calls.filter((c): c is Extract<RecordedCall, { kind: 'response_url' }> => c.kind === 'response_url' && (id === undefined || c.id === id)),
    waitFor: waitFor as SlackStandIn['waitFor'],
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
