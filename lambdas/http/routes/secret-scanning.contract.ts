// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { contract } from '../route-contract';

/**
 * GitHub's secret scanning partner program (routes/secret-scanning.ts): GitHub finds strings of
 * our key format in public repositories, gists, issues and npm packages, and posts them here,
 * signed with one of its published keys. The shapes are GitHub's, not ours.
 */

/** A report holds at most this many matches (GitHub batches; more is not GitHub). */
export const MAX_REPORTED_TOKENS = 1_000;

/** One match GitHub found. Strict: a field GitHub does not document is refused, not ignored. */
export const ReportedTokenSchema = z
  .strictObject({
    token: z.string().min(1).max(1_000).describe('The matched string: a Keywarden key, or something that only looks like one'),
    type: z.string().min(1).max(200).describe('The token type name agreed with GitHub at onboarding'),
    url: z.string().max(4_096).describe('Where GitHub found it (a file at a commit, an issue, a gist, a package)'),
    source: z.string().max(100).optional().describe('What GitHub scanned: content, commit, pull_request_title, npm, …'),
  });

/**
 * GitHub's false-positive feedback: one entry per reported token. A false positive carries the
 * string itself (it is no key of ours); a true positive only its SHA-256, never the key.
 */
export const TokenFeedbackSchema = z
  .strictObject({
    token_raw: z.string().optional().describe('False positives only: the reported string, which is no key of this environment'),
    token_hash: z.string().optional().describe('True positives only: the SHA-256 (hex) of the key, never the key itself'),
    token_type: z.string(),
    label: z.enum(['true_positive', 'false_positive']),
  });

const SignatureHeaders = z.object({
  'Github-Public-Key-Identifier': z.string().max(200).describe('Which of GitHub’s published secret scanning keys signed the report'),
  'Github-Public-Key-Signature': z.string().max(400).describe('Base64 DER ECDSA P-256 signature, SHA-256 over the raw body'),
});

export const SECRET_SCANNING_CONTRACT = {
  reportGithubSecrets: contract({
    method: 'POST',
    path: '/v1/secret-scanning/github',
    operationId: 'reportGithubSecrets',
    summary: 'GitHub secret scanning partner reports: keys found in public places are revoked at once',
    description:
      'No bearer key: the report is signed by GitHub (Github-Public-Key-Identifier, Github-Public-Key-Signature: ECDSA P-256 with SHA-256 over the raw body) with a key GitHub publishes at GITHUB_SECRET_SCANNING_KEYS_URL. ' +
      'Each token is checked offline (format, checksum), then looked up; a key of this environment goes through the exposure pipeline (revoked, or the Automator key rotated; one key.exposed audit record), once however often it is reported. ' +
      'The answer is GitHub’s feedback: true_positive for a key of this environment, false_positive (with the string) for anything else. An unsigned or forged report is 401 and changes nothing.',
    tags: ['Secret scanning'],
    auth: 'public',
    requestHeaders: SignatureHeaders,
    body: z.array(ReportedTokenSchema).max(MAX_REPORTED_TOKENS),
    success: { status: 200, description: 'Feedback for each reported token, in the report’s order', schema: z.array(TokenFeedbackSchema) },
    errors: [401],
  }),
} as const;
