/**
 * `npm start`: the local stack (SPEC §6). Wiring only: see lambdas/local/local-stack.ts.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startLocalStack, type LocalStack } from '../lambdas/local/local-stack';
import { DataDir } from '../lambdas/local/data-dir';
import { loadLocalConfig } from '../lambdas/local/local-services';
import { exitOnUncaughtErrors, exitWithOperatorError, OperatorError, type OperatorErrorContext } from '../lambdas/local/operator-errors';
import { onStopRequest } from '../lambdas/local/stop-signals';
import { localBotMounts } from '../bots/local-mounts';
import { CONSOLE_SITE } from '../console/build';
import { scheduleLocalReminders } from '../bots/local-reminders';

// We pin the SDK and support Node 20 here; its notice about future releases needing Node 22 is noise for users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Everything the server writes — the database files dynalite creates at any time included — is
// owner-only, like the data dir itself.
process.umask(0o077);
// A terminal or pipe that goes away must not take the server down with an EPIPE.
process.stdout.on('error', () => {});

const dataDirPath = resolve(process.env.DATA_DIR || '.data');
const errorContext = (): OperatorErrorContext => {
  let heldBy: number | undefined;
  try {
    heldBy = new DataDir(dataDirPath).endpoint()?.pid;
  } catch {
    // an unreadable endpoint file names no one
  }
  return { dataDir: { path: dataDirPath, heldBy: heldBy === process.pid ? undefined : heldBy } };
};
exitOnUncaughtErrors(errorContext);

/** PORT as a port number (unset: 8787), else the one line that names it. */
function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 8787;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port <= 65535)) throw new OperatorError(`PORT must be a port number from 0 to 65535, not ${JSON.stringify(value)}; unset it for 8787`);
  return port;
}

// Mistakes in the environment are found before anything is created: no data dir is left behind.
let port: number;
try {
  port = portFromEnv(process.env.PORT);
  loadLocalConfig(process.env);
} catch (err) {
  exitWithOperatorError(err);
}
const dataDirExisted = existsSync(dataDirPath);

let stack: LocalStack | undefined;
let closing = false;
async function shutdown(reason: string): Promise<void> {
  if (closing) return;
  closing = true;
  console.log(`${reason}: shutting down`);
  await stack?.close();
  process.exit(0);
}
onStopRequest((reason) => void shutdown(reason));

try {
  stack = await startLocalStack(
    {
      port,
      announce: (text) => console.log(text),
      console: CONSOLE_SITE,
    },
    localBotMounts,
  );
} catch (err) {
  if (!dataDirExisted) DataDir.discardIfEmpty(dataDirPath);
  exitWithOperatorError(err, errorContext());
}
// The daily expiry reminders and the budget alerts every 5 minutes (the EventBridge rules in AWS).
scheduleLocalReminders({ secrets: stack.secrets, baseUrl: stack.url, env: process.env });
console.log(`Keywarden listening on ${stack.url}  (/v1, /slack/events, /api/messages; data in ${stack.dataDir.path})`);
