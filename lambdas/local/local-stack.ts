import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { bootstrapEnvironment } from '../bootstrap';
import { API_ROUTE_TABLE, isStreamingRequest } from '../http/api';
import { createApiHandler, createStreamingHandler } from '../http/lambda-adapter';
import { EDGE_HEADERS, errorAnswer, errorBody } from '../http/errors';
import { installLambdaStreamingPolyfill } from '../handlers/streaming-runtime';
import type { Services } from '../services';
import { DataDir, withEnvironment, type BootstrapFile, type LocalSecrets } from './data-dir';
import { openLocalServices } from './local-services';
import { openLocalStore, type LocalStore } from './local-store';
import type { Clock } from '../core/ports';
import { readBody, responseStreamFor, toProxyEvent, writeProxyResult } from './node-adapter';
import { serveConsole, type ConsoleSite } from './console-files';
import { stopBackgroundWatches } from '../http/background-watch';
import { keyRotationSchedule } from '../adapters/rotation-delivery-wiring';

/**
 * The whole system in one process (SPEC §6): /v1, /slack/events and /api/messages on one port,
 * data in dynalite under DATA_DIR (or in the store at DYNAMODB_ENDPOINT, see local-store.ts)
 * through the same DynamoDB adapter and Lambda handlers as in AWS.
 * The bots' edges and the console are handed in by the caller (bin/local-server.ts), so the local
 * stack imports neither.
 */
/** How long a client has to send a whole request to the local server. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Keep-alive, told and kept apart. An idle connection is closed by a timer, and Node runs due
 * timers before it reads sockets: when the server's event loop is busy (a burst of requests, a GC
 * pause), a request a client sent on a reused connection inside the server's keep-alive time can
 * be dropped unread when the timer fires first — the client sees `other side closed`, no handler
 * ran, nothing is logged. So clients are told a short idle time (`Keep-Alive: timeout=5`, which
 * undici and other pools honour, closing a little before it) while the server itself closes an idle
 * connection only after a further minute: the race needs a loop stalled for that long.
 */
export const DEFAULT_KEEP_ALIVE_HINT_S = 5;
export const DEFAULT_KEEP_ALIVE_IDLE_MS = DEFAULT_KEEP_ALIVE_HINT_S * 1000 + 60_000;

export interface LocalStackOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides PORT (0 = any free port, for tests). */
  port?: number;
  /** Print the one-time bootstrap message here (default: nowhere). */
  announce?: (text: string) => void;
  /** The services' clock (the Clock port); tests move it instead of sleeping. Default: the system clock. */
  clock?: Clock;
  /**
   * How long a client has to send a whole request, headers and body (default 30 s; headers alone:
   * a third of it). A client that stalls gets 408 and its connection closed, as API Gateway would
   * cut it off in AWS. Answers (streams included) are not bounded by it.
   */
  requestTimeoutMs?: number;
  /**
   * Keep-alive (see DEFAULT_KEEP_ALIVE_HINT_S): `hintSeconds` is what clients are told, `idleMs`
   * when the server really closes an idle connection; it must be well above the hint. Tests shorten both.
   */
  keepAlive?: { hintSeconds: number; idleMs: number };
  /**
   * How often the local relay looks at the outbox for deliveries due (retries, events whose
   * writer died before confirming them; default 5 s), and the sweep for expiring keys, budget
   * thresholds and low balances (default 60 s). Ready events go out at once regardless. 0: never
   * (tests that move the clock run `services.relay.runDue()` and `services.eventSweep.run()` themselves).
   */
  relayIntervalMs?: number;
  sweepIntervalMs?: number;
  /** The console served at /console (bin/local-server.ts hands in console/build.ts's); without it, /console is not served. */
  console?: ConsoleSite;
}

export interface LocalStack {
  url: string;
  dataDir: DataDir;
  services: Services;
  bootstrap: BootstrapFile;
  /** The bots' mounts, so tests can reach their internals' configuration. */
  secrets: LocalSecrets;
  /**
   * Resolves once every /v1 request in flight is done, its after-answer work included
   * (settlement, usage records): what a test waits for before reading a balance.
   */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** What the local server gives each mount: its services, the effective secrets, its own address and the environment. */
export interface LocalMountContext {
  services: Services;
  secrets: LocalSecrets;
  baseUrl: string;
  env: NodeJS.ProcessEnv;
}

/**
 * A request listener mounted at one path of the local server, built once the services are up: the
 * bots' edges (bots/boot/bot-mount.ts), handed in by the caller. The server hands it raw node requests.
 */
export type LocalMount = (context: LocalMountContext) => Promise<RequestListener>;

export async function startLocalStack(options: LocalStackOptions = {}, mounts: Record<string, LocalMount> = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const host = env.HOST || '127.0.0.1';
  const port = options.port ?? Number(env.PORT || 8787);
  const dataDir = DataDir.open(resolve(env.DATA_DIR || '.data'));
  dataDir.assertNotInUse();
  installLambdaStreamingPolyfill();

  // The listener is in place before the port opens: a request that arrives while dynalite starts
  // and the bootstrap runs gets 503 + Retry-After, never silence.
  let serve: RequestListener | undefined;
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const keepAlive = options.keepAlive ?? { hintSeconds: DEFAULT_KEEP_ALIVE_HINT_S, idleMs: DEFAULT_KEEP_ALIVE_IDLE_MS };
  if (keepAlive.idleMs < keepAlive.hintSeconds * 1000 * 2) throw new Error('keepAlive.idleMs must be well above keepAlive.hintSeconds');
  const server = createServer(
    // Node's defaults would let a stalled upload hold its connection for 5 minutes and more
    // (checked every 30 s): no request waits that long here. The request and headers timeouts
    // apply from a request's first byte, never to an idle kept-alive connection (Node ≥ 20).
    {
      requestTimeout,
      headersTimeout: Math.ceil(requestTimeout / 3),
      connectionsCheckingInterval: Math.min(1_000, requestTimeout),
      keepAliveTimeout: keepAlive.idleMs,
    },
    (req, res) => {
      // Our own hint replaces Node's, which would announce the real (longer) idle time.
      res.setHeader('keep-alive', `timeout=${keepAlive.hintSeconds}`);
      return serve ? serve(req, res) : notReady(res);
    },
  );
  server.on('clientError', answerClientError);
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;

  let store: LocalStore | undefined;
  let started: Services | undefined;
  try {
    // An embedded store on a thread of its own: the gateway and its database do not share an event loop.
    const database = await openLocalStore(dataDir, env, { thread: true });
    store = database;
    const secrets = dataDir.secrets();
    const effective = withEnvironment(secrets, env);
    const services = (started = await openLocalServices({
      env,
      dynamodbEndpoint: database.endpoint,
      secrets: effective,
      publicBaseUrl: baseUrl,
      clock: options.clock,
      relayInProcess: true,
    }));
    const { config } = services;

    const admins = (env.KEYWARDEN_ADMINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    let bootstrap = dataDir.bootstrap();
    if (!bootstrap) {
      const result = await bootstrapEnvironment(services, { admins });
      bootstrap = {
        baseUrl,
        environment: config.environment,
        accountId: result.accountId,
        projectId: result.projectId,
        adminKey: result.adminKey,
        adminKeyId: result.adminKeyId,
      };
      effective.botViewerKeys = result.botViewerKeys;
      dataDir.saveSecrets({ ...secrets, botViewerKeys: result.botViewerKeys });
      dataDir.saveBootstrap(bootstrap);
      options.announce?.(
        [
          'Keywarden local stack bootstrapped.',
          `  account ${result.accountId}, project ${result.projectId}`,
          `  admin key (shown once; also in ${resolve(dataDir.path, 'bootstrap.json')}):`,
          `  ${result.adminKey}`,
        ].join('\n'),
      );
    } else {
      for (const identity of admins) await services.operator.addAdmin(bootstrap.projectId, identity, 'system');
      if (bootstrap.baseUrl !== baseUrl) {
        bootstrap = { ...bootstrap, baseUrl };
        dataDir.saveBootstrap(bootstrap);
      }
    }
    dataDir.saveEndpoint({ pid: process.pid, dynamodbEndpoint: database.endpoint, baseUrl });
    if (options.console) options.announce?.(`Console: ${baseUrl}/console  (sign in with a link from \`npx keywarden console-link\`, or with an API key)`);

    // One process serves every route: each handler gets the whole table (in AWS, each its half).
    const api = createApiHandler(services, API_ROUTE_TABLE);
    const streaming = createStreamingHandler(services, API_ROUTE_TABLE);
    const listeners: Record<string, RequestListener> = {};
    const inFlight = new Set<Promise<void>>();
    const idle = async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await services.events.settled();
      await services.relay.idle();
    };
    // Timed passes, each tracked: closing waits for the one in flight before the store goes away.
    const background = new Set<Promise<unknown>>();
    const every = (ms: number, work: () => Promise<unknown>, what: string) => {
      if (ms <= 0) return undefined;
      const timer = setInterval(() => {
        const pass = work().catch((err: unknown) => services.logger.warn(what, { error: err instanceof Error ? err.message : 'unknown' }));
        background.add(pass);
        void pass.finally(() => background.delete(pass));
      }, ms);
      timer.unref();
      return timer;
    };
    for (const [path, mount] of Object.entries(mounts)) listeners[path] = await mount({ services, secrets: effective, baseUrl, env });
    // Started once nothing else can fail the start (a mount that refuses its settings closes the
    // store). What AWS does with the relay function's schedule: retries, and events left pending
    // by a writer that died (a previous run of this server killed mid-change).
    const relayTimer = every(options.relayIntervalMs ?? 5_000, () => services.relay.runDue(), 'event relay pass failed');
    // What AWS does with the sweep's and the rotations' 5-minute schedules: expiring keys, budget
    // thresholds, low balances; keys due for rotation on schedule, old keys idle past revokeWhenIdle.
    const rotations = keyRotationSchedule(services);
    const sweepTimer = every(
      options.sweepIntervalMs ?? 60_000,
      async () => {
        await services.eventSweep.run();
        await rotations.run();
      },
      'event sweep failed',
    );

    serve = (req: IncomingMessage, res: ServerResponse) => {
      void route(req, res).catch((err: unknown) => {
        // A client that hung up mid-request (or was cut off for stalling) is not a server fault. Only
        // a connection that is gone counts: `req.destroyed` is also true once a body has been read,
        // and a failure after that must still be answered (and logged as one), never dropped.
        if ((err as { code?: string })?.code === 'ECONNRESET' || req.socket.destroyed) {
          services.logger.info('client went away before its request was read');
          return void res.destroy();
        }
        services.logger.error('local server error', { error: err instanceof Error ? err.message : 'unknown' });
        if (!res.headersSent) writeProxyResult(res, errorAnswer(500, errorBody('Internal error.', 'api_error', 'internal_error')));
        else res.destroy();
      });
    };

    async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const path = pathOf(req.url);
      if (path === undefined) {
        return writeProxyResult(res, errorAnswer(400, errorBody('The request target is not a valid URL.', 'invalid_request_error', 'invalid_request_error')));
      }
      const mount = listeners[path];
      if (mount) return void mount(req, res);
      if (path === '/v1' || path.startsWith('/v1/')) {
        const handled = (async () => {
          const event = toProxyEvent(req, await readBody(req, config.maxBodyBytes));
          // The streaming handler answers first and settles after; it resolves when both are done.
          if (isStreamingRequest(req.method ?? 'GET', path)) return streaming(event, responseStreamFor(res), {} as never);
          writeProxyResult(res, await api(event));
        })();
        inFlight.add(handled);
        void handled.finally(() => inFlight.delete(handled)).catch(() => undefined);
        return handled;
      }
      if (options.console && (path === '/console' || path.startsWith('/console/'))) return serveConsole(options.console, path, res);
      writeProxyResult(res, errorAnswer(404, errorBody('Not found. Keywarden serves /v1, /slack/events and /api/messages.', 'not_found_error', 'not_found')));
    }

    return {
      url: baseUrl,
      dataDir,
      services,
      bootstrap,
      secrets: effective,
      idle,
      async close() {
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
        clearInterval(relayTimer);
        clearInterval(sweepTimer);
        // Answered requests still settling, and a relay or sweep pass in flight, finish against the store before it goes away.
        await Promise.allSettled([...background]);
        // A background response being watched is settled now, by what its cancellation reports, not in up to 3 minutes.
        stopBackgroundWatches();
        await idle();
        // A lease's deferred grant removal (a take outside a request, the CLI's) lands before the store goes away.
        await services.store.leasesSettled().catch(() => undefined);
        dataDir.clearEndpoint();
        services.dynamo.destroy();
        await database.close();
      },
    };
  } catch (err) {
    server.close();
    server.closeAllConnections();
    dataDir.clearEndpoint();
    // What the start did before it failed (the bootstrap's events, delivered in the background) ends before the store goes away.
    await started?.events.settled().catch(() => undefined);
    await started?.relay.idle().catch(() => undefined);
    await store?.close();
    throw err;
  }
}

/** The path of a request target (origin-form, or absolute-form as proxies send it); undefined when it is no URL at all. */
function pathOf(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? '/', 'http://local').pathname;
  } catch {
    return undefined;
  }
}

function notReady(res: ServerResponse): void {
  writeProxyResult(res, errorAnswer(503, errorBody('Keywarden is starting; retry in a moment.', 'api_error', 'service_unavailable'), { 'retry-after': '1' }));
}

/**
 * What Node's HTTP parser refuses before any handler sees it — a stalled request, malformed HTTP,
 * headers too large — answered in the documented error shape too (Node's own answers have no body),
 * then the connection closed. A request already received whole on that connection (the error is in
 * what was pipelined behind it) is answered first: the error answer follows its response, never
 * replaces or corrupts it. A peer that is gone gets nothing.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) return void socket.destroy();
  const [status, reason, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'The request was not received in time.']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'The request headers are too large.']
        : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
          ? [413, 'Payload Too Large', 'The request chunk extensions are too large.']
          : [400, 'Bad Request', 'The request is not valid HTTP.'];
  const body = JSON.stringify(errorBody(message, 'invalid_request_error', 'invalid_request_error'));
  const edge = Object.entries(EDGE_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const answer = `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n${edge}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
  const close = () => {
    if (!socket.writable) return void socket.destroy();
    // Closed once written, whether or not the client ever closes its side.
    socket.end(answer, () => socket.destroy());
  };
  // Node's own bookkeeping: the response in flight on this socket (if any), for a request received whole or not.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (inFlight && !inFlight.writableFinished && inFlight.req?.complete) {
    inFlight.once('finish', close);
    inFlight.once('close', () => socket.writable && !inFlight.writableFinished && socket.destroy());
    return;
  }
  if (inFlight?.headersSent) return void socket.destroy();
  close();
}
