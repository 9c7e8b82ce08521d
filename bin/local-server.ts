/**
 * `npm start`: the local stack (SPEC §6). Wiring only: see lambdas/local/local-stack.ts.
 */
import { startLocalStack } from '../lambdas/local/local-stack';
import { localBotMounts } from '../bots/local-mounts';

// We pin the SDK and run on Node 20 here; its notice about future releases needing Node 22 is noise for users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const stack = await startLocalStack({ announce: (text) => console.log(text) }, localBotMounts);
console.log(`Keywarden listening on ${stack.url}  (/v1, /slack/events, /api/messages; data in ${stack.dataDir.path})`);

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  console.log(`${signal}: shutting down`);
  await stack.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
