/**
 * `keywarden`: operator commands (accounts, API gate, credits, projects, chat admins) that work on
 * the store directly — local data or AWS — and key commands for CI/CD that call /v1 like any client
 * (`keys update|disable|enable --operator` change a key on the store instead, with any limit).
 * Wiring only: every rule lives in the service core. Commands: bin/cli/operator-commands.ts (account policies: policy-commands.ts),
 * bin/cli/key-commands.ts and bin/cli/usage-commands.ts; what they share: bin/cli/context.ts.
 */
// We pin the SDK and support Node 20 here; its notice about future releases needing Node 22 is noise for users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Database files an embedded dynalite creates in the data dir stay owner-only, as the server keeps them.
process.umask(0o077);

import { exitWithOperatorError } from '../lambdas/local/operator-errors';
import { errorContext, errorFormat, program } from './cli/context';
import './cli/operator-commands';
import './cli/policy-commands';
import './cli/key-commands';
import './cli/console-commands';
import './cli/reminder-commands';
import './cli/usage-commands';
import './cli/webhook-commands';

try {
  await program.parseAsync(process.argv);
} catch (err) {
  exitWithOperatorError(err, errorContext(), errorFormat());
}
