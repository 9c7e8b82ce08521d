import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { median, round } from './stats';

/**
 * Each Lambda bundle built as the CDK app builds it (lib/keywarden-service.ts: ESM, node22,
 * minified, `@aws-sdk/*` external because the runtime provides it, the createRequire banner), its
 * minified size, and its cold module-init time: a fresh `node` process imports the bundle and
 * times the import, with the environment the function gets in AWS (dummy ARNs; nothing is called).
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
/** Each function's entry file, as lib/keywarden-function.ts names it. */
const HANDLERS = {
  api: 'lambdas/handlers/api.ts',
  responses: 'lambdas/handlers/responses.ts',
  slack: 'bots/slack/handler.ts',
  teams: 'bots/teams/handler.ts',
  events: 'lambdas/handlers/events.ts',
} as const;
const SERVICE_FUNCTIONS = new Set(['api', 'responses', 'events']);

export interface BundleFigures {
  name: string;
  bytes: number;
  kb: number;
  /** Median of the runs; undefined when the import failed. */
  initMs?: number;
  initRunsMs: number[];
  error?: string;
}

function lambdaEnv(name: string): NodeJS.ProcessEnv {
  const arn = (secret: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:keywarden-bench-${secret}-AbCdEf`;
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: `keywarden-bench-${name}`,
    KEYWARDEN_ENVIRONMENT: 'bench',
    POWERTOOLS_SERVICE_NAME: `keywarden-${name}`,
    POWERTOOLS_METRICS_NAMESPACE: 'Keywarden',
    ...(SERVICE_FUNCTIONS.has(name)
      ? { TABLE_NAME: 'keywarden-bench', PUBLIC_BASE_URL: 'https://api.example.com', UPSTREAM_BASE_URL: 'https://llm.example.com/v1' }
      : { KEYWARDEN_API_URL: 'https://api.example.com' }),
    SECRET_HASHING_ARN: arn('hashing'),
    SECRET_UPSTREAM_ARN: arn('upstream'),
    SECRET_BOT_ASSERTION_ARN: arn('bot-assertion'),
    SECRET_SLACK_ARN: arn('slack'),
    SECRET_TEAMS_ARN: arn('teams'),
    SECRET_BOT_VIEWER_KEYS_ARN: arn('bot-viewer-keys'),
  };
}

function timeImport(file: string, env: NodeJS.ProcessEnv): Promise<number> {
  const script = [
    'const start = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'process.stdout.write(String(performance.now() - start));',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(out.trim());
      if (code === 0 && Number.isFinite(ms)) resolve(ms);
      else reject(new Error((err.trim().split('\n').find((l) => /Error/.test(l)) ?? err.trim().split('\n')[0] ?? `exit ${code}`).slice(0, 200)));
    });
  });
}

export async function measureBundles(repoRoot: string, outDir: string, runs: number): Promise<BundleFigures[]> {
  mkdirSync(outDir, { recursive: true });
  const figures: BundleFigures[] = [];
  for (const [name, file] of Object.entries(HANDLERS)) {
    const entry = join(repoRoot, file);
    if (!existsSync(entry)) continue;
    // Inside the repo, so the external @aws-sdk/* resolve from node_modules as the runtime's copy would.
    const outfile = join(outDir, `${name}.mjs`);
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      minify: true,
      charset: 'utf8',
      platform: 'node',
      format: 'esm',
      target: 'node22',
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*'],
      banner: { js: ESM_REQUIRE_BANNER },
      logLevel: 'silent',
    });
    const bytes = statSync(outfile).size;
    const result: BundleFigures = { name, bytes, kb: round(bytes / 1024, 1), initRunsMs: [] };
    try {
      for (let i = 0; i < runs; i++) result.initRunsMs.push(round(await timeImport(outfile, lambdaEnv(name)), 1));
      result.initMs = round(median(result.initRunsMs), 1);
    } catch (err) {
      result.error = err instanceof Error ? err.message : String(err);
    }
    figures.push(result);
  }
  return figures;
}
