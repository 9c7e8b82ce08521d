// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { contract } from '../route-contract';
import { isoTime } from '../schemas';

/** Console sign-in and its session (routes/console.ts; issue 11). */

/** Either a one-time link's token or an API key; the key is exchanged for a session and never stored or echoed. */
export const ConsoleSignInBody = z
  .strictObject({
    link: z.string().max(200).optional().describe('The token of a one-time sign-in link (what follows #link= in its URL)'),
    key: z.string().max(200).optional().describe('An API key holding keys:read; the session acts as this key'),
  })
  .refine((b) => (b.link === undefined) !== (b.key === undefined), { message: 'Send either link or key.' });

export const ConsoleSessionSchema = z.strictObject({
  object: z.literal('console.session'),
  kind: z.enum(['person', 'key']).describe('person: a chat admin (acting through the Automator key); key: acting as the key signed in with'),
  actor: z.string().describe('Who the audit names, "via console"'),
  operator: z.string().nullable().describe('The operator who opened this session with `keywarden console-link` (the session acts as the Automator key), else null'),
  projectId: z.string(),
  keyId: z.string(),
  expiresAt: isoTime,
});

export const ConsoleLinkSchema = z.strictObject({
  object: z.literal('console.link'),
  url: z.string().describe('One-time sign-in link: valid 5 minutes, single use, for the person named by X-Keywarden-Actor only'),
  expiresAt: isoTime,
});

export const CONSOLE_CONTRACT = {
  createConsoleSession: contract({
    method: 'POST',
    path: '/v1/console/sessions',
    operationId: 'createConsoleSession',
    summary: 'Sign in to the console with a one-time link or an API key: sets the session cookie (HttpOnly, SameSite=Strict, 8 hours; __Host- prefixed and Secure behind HTTPS)',
    description:
      'Same origin only (the Origin header must be the console’s configured origin). The session token is in Set-Cookie, never in the body; the body carries the binding the page sends back as X-Keywarden-Console. A request carrying more than one session cookie is refused (400).',
    tags: ['Console'],
    auth: 'public',
    body: ConsoleSignInBody,
    success: {
      status: 201,
      description: 'Signed in',
      schema: ConsoleSessionSchema.extend({
        binding: z.string().describe('Sent back by the page as X-Keywarden-Console on every call: proves the session cookie is this page’s own, not one tossed in from another origin'),
      }),
    },
    errors: [401, 403],
  }),
  getConsoleSession: contract({
    method: 'GET',
    path: '/v1/console/session',
    operationId: 'getConsoleSession',
    summary: 'The console session this request’s cookie belongs to: who acts, for which project, until when',
    tags: ['Console'],
    auth: 'key',
    success: { status: 200, description: 'The session', schema: ConsoleSessionSchema },
    errors: [404],
  }),
  deleteConsoleSession: contract({
    method: 'DELETE',
    path: '/v1/console/session',
    operationId: 'deleteConsoleSession',
    summary: 'Sign out: the session ends now and its cookie is cleared',
    tags: ['Console'],
    auth: 'key',
    success: { status: 200, description: 'Signed out', schema: z.strictObject({ object: z.literal('console.session'), deleted: z.literal(true) }) },
    errors: [404],
  }),
  createConsoleLink: contract({
    // A bot asks, with the person's assertion, when an admin says `/apikeys console` (Teams: `console`).
    method: 'POST',
    path: '/v1/console/links',
    operationId: 'createConsoleLink',
    summary: 'A one-time console sign-in link (5 minutes, single use) for the admin named by X-Keywarden-Actor; a non-admin is refused and audited',
    tags: ['Console'],
    auth: 'key',
    success: { status: 201, description: 'The link', schema: ConsoleLinkSchema },
  }),
} as const;
