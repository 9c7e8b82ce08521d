#!/usr/bin/env node
// `npx keywarden …`: runs the TypeScript CLI through tsx (a dependency), so no build step is needed.
import { register } from 'tsx/esm/api';

register();
try {
  await import('./cli.ts');
} catch (err) {
  // cli.ts reports its own failures; this catches only what stops it from loading, in the same one line.
  const { exitWithOperatorError } = await import('../lambdas/local/operator-errors.ts');
  exitWithOperatorError(err);
}
