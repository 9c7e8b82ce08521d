/**
 * Issue 23 point 7: the resident memory of `npm start` under a soak. The real local server runs as
 * a child process — the exact command of package.json's `start` script, so its flags are measured
 * too — on a temp data dir, against a stand-in upstream on 127.0.0.1; POST /v1/responses is driven
 * at concurrency 64 for 60 s (MEMORY_SOAK_SECONDS to shorten), and the child's RSS is read from
 * /proc/<pid>/status every second: the kernel's figure, which counts what the heap figures miss
 * (LevelDB's caches and write buffers, thread stacks, allocator slack). Linux only; elsewhere the
 * row says it was not measured.
 *
 * What keeps it bounded (README, "Bounded memory"): the V8 flags of the start script
 * (`--heap-growing-percent=30`: the old generation grows to 1.3× what survived the last full
 * collection instead of up to 4×; `--max-semi-space-size=4`: each thread's young generation 8 MiB
 * instead of 32) and LevelDB's open-table cache at its floor, with smaller tables, write buffer and
 * block cache (lambdas/adapters/dynalite-worker.mjs).
 *
 * Run alone: `npx tsx bench/memory-soak.ts` (prints the rows); `npm run bench` includes it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataDir } from '../lambdas/local/data-dir';
import { openOperatorContext } from '../lambdas/local/cli-context';
import { answerUnique, startStandInUpstream } from '../test/http/openai-relay/stand-in-upstream';
import { LoadGenerator } from './latency';
import { round } from './stats';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const MIB = 1024 * 1024;
/** Issue 23 point 7: RSS after the soak. */
export const MEMORY_TARGET_MIB = 300;

export interface MemorySoakFigures {
  command: string;
  concurrency: number;
  seconds: number;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  /** RSS once the server is up and bootstrapped, before any model call. */
  startMiB: number;
  peakMiB: number;
  /** RSS right after the last request of the soak was answered. */
  endMiB: number;
  /** Of endMiB: anonymous memory (V8 heaps, LevelDB's cache and write buffers, malloc) and mapped files (the node binary, LevelDB's table files). */
  endAnonMiB: number;
  endFileMiB: number;
  /** RSS 5 s later, idle (what the collector and LevelDB's compaction give back). */
  settledMiB: number;
  /** One sample a second, for the JSON file. */
  samplesMiB: number[];
}

/** The node arguments of `npm start` (package.json: `exec node <args>`), so the bench runs what users run. */
function startCommand(): string[] {
  const script = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const words = script.trim().split(/\s+/);
  const at = words.indexOf('node');
  if (at < 0) throw new Error(`package.json's start script does not run node: ${script}`);
  return words.slice(at + 1);
}

/** A /proc/<pid>/status field in MiB: VmRSS (all resident), RssAnon (heaps, caches), RssFile (mapped files). */
function statusMiB(pid: number, field: 'VmRSS' | 'RssAnon' | 'RssFile' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1]);
  return round((kb * 1024) / MIB, 1);
}
const rssMiB = (pid: number) => statusMiB(pid, 'VmRSS');

/** Resolves with the base URL the server prints once it listens. */
function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      const m = /Keywarden listening on (http:\/\/\S+)/.exec(seen);
      if (m) {
        child.stdout!.off('data', onData);
        // Keep draining: a full pipe would stall the server's request logs, and so the server.
        child.stdout!.resume();
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the local server exited (${code}) before listening: ${seen.slice(-500)}`)));
  });
}

export async function measureMemorySoak(options: { seconds?: number; concurrency?: number; progress?: (text: string) => void } = {}): Promise<MemorySoakFigures> {
  if (!existsSync('/proc/self/status')) throw new Error('no /proc: RSS is read from /proc/<pid>/status (Linux)');
  const seconds = options.seconds ?? Number(process.env.MEMORY_SOAK_SECONDS ?? 60);
  const concurrency = options.concurrency ?? 64;
  const upstream = await startStandInUpstream(answerUnique);
  const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-memory-'));
  const args = startCommand();
  // The embedded store is what is measured, whatever the caller's environment names.
  const { DYNAMODB_ENDPOINT: _external, ...env } = process.env;
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      UPSTREAM_BASE_URL: upstream.baseUrl,
      UPSTREAM_API_KEY: 'up-secret',
      // As the rest of the bench: no request logs (a terminal would show them; here they would only cost the pipe).
      LOG_LEVEL: 'SILENT',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Its last words, for the error when it dies under the soak.
  let stderrTail = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2000)));
  const load = new LoadGenerator();
  try {
    const url = await listening(child);
    // The load key: the operator mints it (a rate limit wider than the admin key's) and funds the
    // account, through the running server's own store, as `keywarden keys create --operator` would.
    const dir = new DataDir(dataDir);
    const bootstrap = dir.bootstrap()!;
    const op = await openOperatorContext({ aws: false, dataDir: dir, env });
    let key: string;
    try {
      await op.services.operator.adjustCredits(bootstrap.accountId, 1_000_000_000);
      const operator = { kind: 'operator' as const, actor: 'cli:bench', projectId: bootstrap.projectId };
      key = (await op.services.keys.create(operator, { name: 'memory soak', type: 'viewer', rateLimit: { limit: 100_000_000, windowSeconds: 3600 } })).secret;
    } finally {
      await op.close();
    }
    const pid = child.pid!;
    const startMiB = rssMiB(pid);
    const samplesMiB: number[] = [startMiB];
    const sampler = setInterval(() => samplesMiB.push(rssMiB(pid)), 1_000);
    options.progress?.(`memory soak: concurrency ${concurrency} for ${seconds} s (RSS at start ${startMiB} MiB)`);
    const target = { url: `${url}/v1/responses`, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"model":"archibot","input":"ping"}' };
    let figures;
    try {
      figures = await load.throughput(concurrency, seconds * 1000, target).catch((err: unknown) => {
        const died = child.exitCode !== null || child.signalCode !== null;
        throw new Error(`${err instanceof Error ? err.message : String(err)}${died ? `; the server exited (${child.exitCode ?? child.signalCode}): ${stderrTail.trim().slice(-600)}` : ''}`);
      });
    } finally {
      clearInterval(sampler);
    }
    const endMiB = rssMiB(pid);
    const endAnonMiB = statusMiB(pid, 'RssAnon');
    const endFileMiB = statusMiB(pid, 'RssFile');
    samplesMiB.push(endMiB);
    await new Promise((r) => setTimeout(r, 5_000));
    const settledMiB = rssMiB(pid);
    return {
      command: `node ${args.join(' ')}`,
      concurrency,
      seconds: figures.seconds,
      requests: Math.round(figures.requestsPerSecond * figures.seconds),
      errors: figures.errors,
      requestsPerSecond: figures.requestsPerSecond,
      startMiB,
      peakMiB: Math.max(...samplesMiB),
      endMiB,
      endAnonMiB,
      endFileMiB,
      settledMiB,
      samplesMiB,
    };
  } finally {
    await load.close();
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    await upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export type MemorySoakResult = MemorySoakFigures | { error: string };

/** The soak for `npm run bench`: its figures, or why it was not measured (the bench prints, it does not fail). */
export function memorySoak(progress?: (text: string) => void): Promise<MemorySoakResult> {
  return measureMemorySoak({ progress }).catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }));
}

type Row = [measure: string, figure: string, target: string, verdict: string];

/** The bench table's rows for the soak (or the one row saying why it was not measured). */
export function memorySoakRows(m: MemorySoakResult): Row[] {
  if ('error' in m) return [['Resident memory of npm start after the soak', `not measured: ${m.error}`, `≤ ${MEMORY_TARGET_MIB} MiB`, 'MISSED']];
  return [
    [
      `Resident memory of npm start after a ${round(m.seconds, 0)}-s soak, concurrency ${m.concurrency}`,
      `${m.endMiB} MiB (peak ${m.peakMiB} MiB)`,
      `≤ ${MEMORY_TARGET_MIB} MiB`,
      m.endMiB <= MEMORY_TARGET_MIB && m.peakMiB <= MEMORY_TARGET_MIB ? 'met' : 'MISSED',
    ],
    ['  … at start (bootstrapped, before the soak) / 5 s after it', `${m.startMiB} / ${m.settledMiB} MiB`, '', ''],
    ['  … after the soak: anonymous (heaps, caches) + mapped files (node, LevelDB tables)', `${m.endAnonMiB} + ${m.endFileMiB} MiB`, '', ''],
    ['  … requests served (POST /v1/responses), errors', `${m.requests} (${m.requestsPerSecond} req/s), ${m.errors}`, '', ''],
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const m = await measureMemorySoak({ progress: (t) => process.stderr.write(`· ${t}\n`) });
  for (const row of memorySoakRows(m)) process.stdout.write(`${row.join('  ')}\n`);
  process.stdout.write(`samples (MiB): ${m.samplesMiB.join(' ')}\n`);
}
