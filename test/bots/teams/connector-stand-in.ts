import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stands in for the Bot Framework connector service (the activities' `serviceUrl`), which the tests
 * cannot reach: it records every call the bot makes — replies, 1:1 conversation creation, updates —
 * and answers with the shapes the real service returns.
 */
export interface ConnectorCall {
  method: 'POST' | 'PUT';
  conversationId: string;
  /** The activity replied to (POST …/activities/{replyTo}) or updated (PUT …/activities/{id}). */
  activityId?: string;
  authorization?: string;
  activity: BotActivity;
}

export interface BotActivity {
  type: string;
  text?: string;
  replyToId?: string;
  conversation?: { id: string };
  attachments?: { contentType: string; content: any }[];
  [field: string]: unknown;
}

export interface CreatedConversation {
  id: string;
  authorization?: string;
  params: { isGroup?: boolean; bot?: { id: string }; members?: { id: string; aadObjectId?: string }[]; tenantId?: string; channelData?: unknown };
}

export interface ConnectorStandIn {
  url: string;
  calls: ConnectorCall[];
  created: CreatedConversation[];
  /** Every call since start; `reset` does not clear it. */
  history: ConnectorCall[];
  /** Everything the bot posted into one conversation. */
  in(conversationId: string): ConnectorCall[];
  /** Every byte the bot sent anywhere, for secret scans. */
  transcript(): string;
  /** Waits until `predicate` holds over the calls so far (replies can trail the HTTP answer). */
  waitFor(predicate: (calls: ConnectorCall[]) => boolean, timeoutMs?: number): Promise<void>;
  /** While set, posts into personal (1:1) conversations fail with 403, as when the user blocked the bot. */
  failPersonalPosts: boolean;
  /** While set, creating a conversation fails with 403, as when the user has not added the app. */
  failCreateConversation: boolean;
  reset(): void;
  close(): Promise<void>;
}

/** `host`: where it listens (default loopback; a test of off-machine serviceUrls binds it elsewhere). */
export async function startConnectorStandIn(host = '127.0.0.1'): Promise<ConnectorStandIn> {
  const calls: ConnectorCall[] = [];
  const created: CreatedConversation[] = [];
  const history: ConnectorCall[] = [];
  let counter = 0;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void readJson(req).then((body) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const auth = req.headers.authorization;
      const reply = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.method === 'POST' && path === '/v3/conversations') {
        if (standIn.failCreateConversation) return reply(403, { error: { code: 'Forbidden', message: 'The bot is not installed for this user.' } });
        const params = body as CreatedConversation['params'];
        // Teams answers with the one 1:1 chat per user and bot, existing or new.
        const user = params.members?.[0]?.aadObjectId ?? params.members?.[0]?.id ?? 'unknown';
        const id = `a:personal-${user}`;
        created.push({ id, params, ...(auth ? { authorization: auth } : {}) });
        return reply(201, { id });
      }
      const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
      if (m && (req.method === 'POST' || req.method === 'PUT')) {
        const conversationId = decodeURIComponent(m[1]!);
        if (standIn.failPersonalPosts && conversationId.startsWith('a:personal-')) {
          return reply(403, { error: { code: 'BotDisabledByAdmin', message: 'The bot is blocked in this conversation.' } });
        }
        const activityId = m[2] ? decodeURIComponent(m[2]) : undefined;
        const call: ConnectorCall = {
          method: req.method,
          conversationId,
          ...(activityId ? { activityId } : {}),
          ...(auth ? { authorization: auth } : {}),
          activity: body as BotActivity,
        };
        calls.push(call);
        history.push(call);
        return reply(200, { id: activityId && req.method === 'PUT' ? activityId : `bot-activity-${++counter}` });
      }
      reply(404, { error: { code: 'NotFound', message: `${req.method} ${path}` } });
    });
  });
  await new Promise<void>((done) => server.listen(0, host, () => done()));
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}/`;

  const standIn: ConnectorStandIn = {
    url,
    failPersonalPosts: false,
    failCreateConversation: false,
    calls,
    created,
    history,
    in: (conversationId) => calls.filter((c) => c.conversationId === conversationId),
    transcript: () => JSON.stringify({ history, created }),
    async waitFor(predicate, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (!predicate(calls)) {
        if (Date.now() > until) throw new Error(`connector stand-in: condition not met; calls so far:\n${JSON.stringify(calls, null, 1).slice(0, 4000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    reset() {
      calls.length = 0;
      created.length = 0;
      standIn.failPersonalPosts = false;
      standIn.failCreateConversation = false;
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
  return standIn;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch {
        resolve(text);
      }
    });
  });
}
