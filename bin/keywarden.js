#!/usr/bin/env node
// `npx keywarden …`: runs the TypeScript CLI through tsx (a dependency), so no build step is needed.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
