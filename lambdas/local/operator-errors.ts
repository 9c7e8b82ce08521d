import { redactKeys } from '../core/redact-keys';

/**
 * What an operator sees when `npm start` or the CLI cannot go on: one line on stderr, a non-zero
 * exit, never a stack trace and never a raw key. Both executables route everything that reaches
 * their top level through `operatorMessage`, so the known mistakes are mapped here and only here.
 */

/** A mistake whose message already says what happened and what to do; printed as is. */
export class OperatorError extends Error {
  override name = 'OperatorError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** What the executable knows that makes a message actionable. */
export interface OperatorErrorContext {
  /** The local data dir in use, and the pid of the server holding it, if one is known. */
  dataDir?: { path: string; heldBy?: number };
}

type SystemError = NodeJS.ErrnoException & { address?: string; port?: number };

export function operatorMessage(err: unknown, context: OperatorErrorContext = {}): string {
  return `error: ${oneLine(redactKeys(describe(err, context)))}`;
}

/** The same line for machines (the CLI's `--json`): `{"error":{"message":…}}`, the message without its `error: `. */
export function operatorErrorJson(message: string): string {
  return JSON.stringify({ error: { message: oneLine(redactKeys(message)).replace(/^error:\s*/, '') } });
}

function describe(err: unknown, context: OperatorErrorContext): string {
  if (err instanceof OperatorError) return err.message;
  const sys = err as SystemError | undefined;
  if (sys?.code === 'EADDRINUSE' && sys.syscall === 'listen' && sys.port !== undefined) {
    return `port ${sys.port} on ${sys.address} is already in use; set PORT=<a free port> (e.g. PORT=${sys.port + 1}) or stop the other process`;
  }
  // dynalite reports LevelDB's failed open (its LOCK held by another process) only as this, on
  // the first request; the data-dir check before start catches the common case with a pid.
  if (err instanceof Error && err.message === 'Database is closed' && context.dataDir) {
    const { path, heldBy } = context.dataDir;
    const holder = heldBy ? `another Keywarden (pid ${heldBy})` : 'another process (its database is locked)';
    return `data dir ${path} is in use by ${holder}; stop it or set DATA_DIR to another directory`;
  }
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** How the line is printed: as text, or as JSON when the caller asked for machine output. */
export interface OperatorErrorFormat {
  json?: boolean;
}

/** Prints the one line (and, with KEYWARDEN_DEBUG set, the stack) and exits 1. */
export function exitWithOperatorError(err: unknown, context: OperatorErrorContext = {}, format: OperatorErrorFormat = {}): never {
  const line = operatorMessage(err, context);
  process.stderr.write(`${format.json ? operatorErrorJson(line) : line}\n`);
  if (process.env.KEYWARDEN_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${redactKeys(err.stack)}\n`);
  process.exit(1);
}

/** Errors thrown outside any awaited call (a dependency's callback) end the same way. */
export function exitOnUncaughtErrors(context: () => OperatorErrorContext = () => ({}), format: () => OperatorErrorFormat = () => ({})): void {
  const fail = (err: unknown) => exitWithOperatorError(err, context(), format());
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}
