import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { OperatorContext } from '../../lambdas/local/cli-context';
import { locateDataDir, type DataDir } from '../../lambdas/local/data-dir';
import { exitOnUncaughtErrors, OperatorError, operatorErrorJson, type OperatorErrorContext, type OperatorErrorFormat } from '../../lambdas/local/operator-errors';

/** What every command shares: the program and its global options, output, the local data dir, the operator context. */
interface GlobalOptions {
  json?: boolean;
  aws?: boolean;
  dataDir?: string;
  actor?: string;
  apiUrl?: string;
}

/** The local data dir this run opened, for the one-line message if its database turns out locked. */
let openedDataDir: DataDir | undefined;
export const errorContext = (): OperatorErrorContext => (openedDataDir ? { dataDir: { path: openedDataDir.path } } : {});

/**
 * `--json` asked for: errors are then JSON too. Read from the arguments as well as the parsed
 * options, so a mistake commander finds before parsing reaches the option is JSON as well.
 */
export const errorFormat = (): OperatorErrorFormat => {
  const args = process.argv.slice(2);
  const end = args.indexOf('--');
  return { json: Boolean(program.opts<GlobalOptions>().json) || (end < 0 ? args : args.slice(0, end)).includes('--json') };
};
exitOnUncaughtErrors(errorContext, errorFormat);

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Under --json, commander's own mistakes (unknown option, missing argument) are one JSON line, without the help for people. */
let reported = false;
const output = {
  outputError: (text: string, write: (text: string) => void) => {
    reported = true;
    if (errorFormat().json) process.stderr.write(`${operatorErrorJson(text)}\n`);
    else write(text);
  },
  writeErr: (text: string) => {
    if (!errorFormat().json) return void process.stderr.write(text);
    // Help written as an error (a command needing a subcommand) stands for one JSON error line.
    if (!reported) process.stderr.write(`${operatorErrorJson('a command is required; see --help')}\n`);
    reported = true;
  },
};

export const program = new Command('keywarden')
  .description('Keywarden: API keys for the chat platform.')
  .version(version, '-V, --version', 'print the version')
  .configureOutput(output)
  // Every command's --help lists --json and the other global options too.
  .configureHelp({ showGlobalOptions: true })
  .option('--json', 'print machine-readable JSON (errors too, on stderr)')
  .option('--aws', 'operator commands work on AWS (TABLE_NAME, SECRET_HASHING_ARN, AWS credentials from the environment)')
  .option('--data-dir <dir>', 'local data directory (default: DATA_DIR, else the nearest .data/ holding bootstrap.json from here up to the keywarden project root)')
  .option('--actor <name>', 'operator name recorded in the audit trail (default cli:<user>)')
  .option('--api-url <url>', 'key commands: the API base URL (default KEYWARDEN_API_URL, else the local stack)')
  .showHelpAfterError();

export function globals(): GlobalOptions {
  return program.opts<GlobalOptions>();
}

export function actor(): string {
  return globals().actor ?? `cli:${process.env.USER || userInfo().username}`;
}

export function print(value: unknown, human: () => string): void {
  console.log(globals().json ? JSON.stringify(value, null, 2) : human());
}

/**
 * The project's local data, never created here: a read command run in the wrong folder must say
 * where it looked rather than answer from a fresh, empty store.
 */
export function localDataDir(fix = 'run `npm start` once in the keywarden project, or set DATA_DIR (or --data-dir) to its data dir'): DataDir {
  const located = locateDataDir({ cwd: process.cwd(), explicit: globals().dataDir || process.env.DATA_DIR || undefined });
  if (!located.found) throw new OperatorError(`no Keywarden data dir found (looked for ${located.tried.join(', ')}); ${fix}`);
  openedDataDir = located.found;
  return located.found;
}

export async function withOperator<T>(fn: (ctx: OperatorContext) => Promise<T>): Promise<T> {
  // Loaded on first use: the services (the AWS SDK) are needed by operator commands only.
  const { openOperatorContext } = await import('../../lambdas/local/cli-context');
  const ctx = await openOperatorContext(globals().aws ? { aws: true } : { aws: false, dataDir: localDataDir() });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

export const number = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number`);
  return n;
};

