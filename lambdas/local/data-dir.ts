import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local stack's data directory (`DATA_DIR`, default `.data`), owner-only (0700, files 0600):
 *   secrets.json     generated once: hashing and bot-assertion secrets, Slack signing
 *                    secret, the bots' viewer keys
 *   bootstrap.json   baseUrl, environment, accountId, projectId, adminKey (for scripts)
 *   dynamodb/        dynalite's LevelDB files
 *   local-endpoint.json  while the server runs: where its dynalite listens (for the CLI)
 */
export interface LocalSecrets {
  hashing: { current: string; previous?: string };
  botAssertion: { current: string };
  slack: { signingSecret: string; botToken?: string };
  teams?: { appId?: string; appPassword?: string };
  upstream?: { apiKey?: string };
  botViewerKeys?: { slack: string; teams: string };
}

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

/** Files of ours directly in the data dir; anything else there is left alone (DATA_DIR may be shared). */
const OWN_FILES = ['secrets.json', 'bootstrap.json', 'local-endpoint.json'];

export class DataDir {
  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  }

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

  get dynamodbPath(): string {
    return join(this.path, 'dynamodb');
  }

  private file(name: string): string {
    return join(this.path, name);
  }

  private read<T>(name: string): T | undefined {
    const path = this.file(name);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
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

  saveSecrets(secrets: LocalSecrets): void {
    this.writePrivate('secrets.json', secrets);
  }

  bootstrap(): BootstrapFile | undefined {
    return this.read<BootstrapFile>('bootstrap.json');
  }

  saveBootstrap(value: BootstrapFile): void {
    this.writePrivate('bootstrap.json', value);
  }

  endpoint(): LocalEndpointFile | undefined {
    const value = this.read<LocalEndpointFile>('local-endpoint.json');
    if (!value) return undefined;
    try {
      process.kill(value.pid, 0);
      return value;
    } catch {
      return undefined; // stale: that server is gone
    }
  }

  saveEndpoint(value: LocalEndpointFile): void {
    this.writePrivate('local-endpoint.json', value);
  }

  clearEndpoint(): void {
    rmSync(this.file('local-endpoint.json'), { force: true });
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
