import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as z from 'zod';
import { OperatorError } from './operator-errors';

/**
 * The local stack's data directory (`DATA_DIR`, default `.data`), owner-only (0700, files 0600):
 *   secrets.json     generated once: hashing and bot-assertion secrets, Slack signing secret, the
 *                    bots' viewer keys; and what the operator adds by hand: `upstream.apiKey`, and
 *                    `upstreams.<secret>.apiKey`, a MODEL_UPSTREAMS deployment's key
 *                    (`upstreamKeyLookup`)
 *   bootstrap.json   baseUrl, environment, accountId, projectId, adminKey (for scripts); its
 *                    presence is what makes a directory a Keywarden data dir for the CLI
 *   dynamodb/        dynalite's LevelDB files
 *   store.json       only when the data is in an external store (DYNAMODB_ENDPOINT): the endpoint
 *                    and table it was last started against — the accounts and keys bootstrap.json
 *                    names are there, not under dynamodb/
 *   local-endpoint.json  while the server runs: its pid, where its store listens (for the CLI)
 */
export interface LocalSecrets {
  hashing: { current: string; previous?: string };
  botAssertion: { current: string };
  slack: { signingSecret: string; botToken?: string };
  teams?: { appId?: string; appPassword?: string };
  upstream?: { apiKey?: string };
  /**
   * Keys of MODEL_UPSTREAMS deployments, by their `secret` (the local stand-in for a Secrets
   * Manager secret `{"apiKey": "…"}`); UPSTREAM_API_KEY_<SECRET> in the environment wins.
   */
  upstreams?: Record<string, { apiKey: string }>;
  botViewerKeys?: { slack: string; teams: string };
}

/** `upstreams` as the operator writes it: each secret an object with a non-empty `apiKey`. */
const UpstreamKeysFile = z.record(z.string().min(1), z.strictObject({ apiKey: z.string().min(1) }));

export interface BootstrapFile {
  baseUrl: string;
  environment: string;
  accountId: string;
  projectId: string;
  adminKey: string;
  adminKeyId: string;
}

export interface LocalEndpointFile {
  pid: number;
  dynamodbEndpoint: string;
  baseUrl: string;
}

/** Where a data dir's accounts and keys live when it is not the embedded store under dynamodb/. */
export interface ExternalStoreFile {
  dynamodbEndpoint: string;
  tableName: string;
}

/** Files of ours directly in the data dir; anything else there is left alone (DATA_DIR may be shared). */
const OWN_FILES = ['secrets.json', 'bootstrap.json', 'store.json', 'local-endpoint.json'];

export class DataDir {
  /** Reads and writes `path` as it is; never creates it (see `DataDir.open`). */
  constructor(readonly path: string) {}

  /**
   * The server's data dir: created if missing, and owner-only whether new or pre-existing — the
   * directory 0700, its files 0600, everything under dynamodb/ too. Files the database writes
   * later are private only if the process umask is 077 (the server entry sets it).
   */
  static open(path: string): DataDir {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chmodSync(path, 0o700);
    for (const name of OWN_FILES) {
      const file = join(path, name);
      if (existsSync(file)) chmodSync(file, 0o600);
    }
    const dir = new DataDir(path);
    if (existsSync(dir.dynamodbPath)) makePrivate(dir.dynamodbPath);
    return dir;
  }

  /**
   * Undoes `open` for a start that failed before writing anything (the port taken): the directory
   * goes if it is still empty, so a mistake leaves no empty data dir behind. Never removes a file.
   */
  static discardIfEmpty(path: string): void {
    try {
      if (readdirSync(path).length === 0) rmdirSync(path);
    } catch {
      // gone already, or not ours to remove
    }
  }

  get dynamodbPath(): string {
    return join(this.path, 'dynamodb');
  }

  get bootstrapPath(): string {
    return this.file('bootstrap.json');
  }

  private file(name: string): string {
    return join(this.path, name);
  }

  private read<T>(name: string): T | undefined {
    const path = this.file(name);
    if (!existsSync(path)) return undefined;
    const text = readFileSync(path, 'utf8');
    try {
      return JSON.parse(text) as T;
    } catch {
      // The parser's message quotes the file's text, which may hold a key: name the file instead.
      throw new OperatorError(`${path} is not valid JSON; restore it or remove the data dir ${this.path}`);
    }
  }

  /** Atomic write, owner-only: a crash never leaves a half-written secrets file. */
  private writePrivate(name: string, value: unknown): void {
    const path = this.file(name);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  }

  /** Loads secrets.json, generating the missing secrets once. */
  secrets(): LocalSecrets {
    const existing = this.read<Partial<LocalSecrets>>('secrets.json') ?? {};
    this.checkUpstreams(existing.upstreams);
    const generate = () => randomBytes(32).toString('base64url');
    const secrets: LocalSecrets = {
      ...existing,
      hashing: existing.hashing ?? { current: generate() },
      botAssertion: existing.botAssertion ?? { current: generate() },
      slack: existing.slack ?? { signingSecret: generate() },
    };
    if (JSON.stringify(secrets) !== JSON.stringify(existing)) this.writePrivate('secrets.json', secrets);
    return secrets;
  }

  /**
   * A malformed `upstreams` fails the start naming the file and the field, never a value (the
   * parser's own message could quote a key).
   */
  private checkUpstreams(value: unknown): void {
    if (value === undefined) return;
    const parsed = UpstreamKeysFile.safeParse(value);
    if (parsed.success) return;
    const at = parsed.error.issues[0]?.path.map(String).join('.');
    throw new OperatorError(`${this.file('secrets.json')}: upstreams${at ? `.${at}` : ''} must be {"<secret>": {"apiKey": "<key>"}}, each key a non-empty string`);
  }

  saveSecrets(secrets: LocalSecrets): void {
    this.writePrivate('secrets.json', secrets);
  }

  bootstrap(): BootstrapFile | undefined {
    return this.read<BootstrapFile>('bootstrap.json');
  }

  saveBootstrap(value: BootstrapFile): void {
    this.writePrivate('bootstrap.json', value);
  }

  /** The external store this data dir's data is in; undefined for the embedded store. */
  externalStore(): ExternalStoreFile | undefined {
    return this.read<ExternalStoreFile>('store.json');
  }

  saveExternalStore(value: ExternalStoreFile): void {
    this.writePrivate('store.json', value);
  }

  /** The running server's endpoint file, if the process that wrote it is still alive. */
  endpoint(): LocalEndpointFile | undefined {
    const value = this.read<LocalEndpointFile>('local-endpoint.json');
    return value && isAlive(value.pid) ? value : undefined;
  }

  /**
   * Refuses a data dir another live server holds (LevelDB allows one opener; without this check
   * the second server only learns it when dynalite fails its first request). A file naming this
   * very process or its parent is stale: a container restarts with the same pids.
   */
  assertNotInUse(): void {
    const other = this.endpoint();
    if (!other || other.pid === process.pid || other.pid === process.ppid) return;
    throw new OperatorError(
      `data dir ${this.path} is in use by another Keywarden (pid ${other.pid}, ${other.baseUrl}); stop it or set DATA_DIR to another directory`,
    );
  }

  saveEndpoint(value: LocalEndpointFile): void {
    this.writePrivate('local-endpoint.json', value);
  }

  clearEndpoint(): void {
    rmSync(this.file('local-endpoint.json'), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

function makePrivate(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    chmodSync(path, 0o700);
    for (const name of readdirSync(path)) makePrivate(join(path, name));
  } else {
    chmodSync(path, 0o600);
  }
}

/** Where the CLI found local data, or every place it looked. */
export type LocatedDataDir = { found: DataDir } | { found?: undefined; tried: string[] };

/**
 * The CLI's data dir, never created: an explicit directory (`--data-dir`, else `DATA_DIR`) is
 * taken as given; otherwise the nearest `.data/bootstrap.json` from `cwd` upwards, stopping at
 * the keywarden package root — so a command run in a subfolder finds the project's data instead
 * of starting an empty store there.
 */
export function locateDataDir(options: { cwd: string; explicit?: string }): LocatedDataDir {
  if (options.explicit) {
    const dir = new DataDir(resolve(options.cwd, options.explicit));
    return existsSync(dir.bootstrapPath) ? { found: dir } : { tried: [dir.bootstrapPath] };
  }
  const tried: string[] = [];
  for (let at = resolve(options.cwd); ; at = dirname(at)) {
    const dir = new DataDir(join(at, '.data'));
    tried.push(dir.bootstrapPath);
    if (existsSync(dir.bootstrapPath)) return { found: dir };
    if (isKeywardenRoot(at) || dirname(at) === at) return { tried };
  }
}

function isKeywardenRoot(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'keywarden';
  } catch {
    return false;
  }
}

/** The secrets the local stack runs with: the data dir's, with what the environment sets on top. */
export function withEnvironment(secrets: LocalSecrets, env: NodeJS.ProcessEnv): LocalSecrets {
  return {
    ...secrets,
    slack: {
      signingSecret: env.SLACK_SIGNING_SECRET || secrets.slack.signingSecret,
      botToken: env.SLACK_BOT_TOKEN || secrets.slack.botToken,
    },
    teams: { appId: env.TEAMS_APP_ID || undefined, appPassword: env.TEAMS_APP_PASSWORD || undefined },
    upstream: { apiKey: env.UPSTREAM_API_KEY || secrets.upstream?.apiKey },
  };
}

/**
 * Where a MODEL_UPSTREAMS deployment's key is found locally, by its `secret`: the environment's
 * UPSTREAM_API_KEY_<SECRET> (`fromEnv`, Config.upstreamKeyFromEnv) first, as every other secret
 * the environment sets wins over the file; else secrets.json's `upstreams.<secret>.apiKey` — a key
 * kept in the owner-only file (0600) rather than in a shell's environment and history. The value
 * is only handed to the upstream adapter; it is never logged.
 */
export function upstreamKeyLookup(secrets: LocalSecrets, fromEnv: (secret: string) => string | undefined): (secret: string) => string | undefined {
  return (secret) => fromEnv(secret) ?? (Object.hasOwn(secrets.upstreams ?? {}, secret) ? secrets.upstreams![secret]!.apiKey : undefined);
}
