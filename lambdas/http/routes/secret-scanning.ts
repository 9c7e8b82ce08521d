import { createHash, verify } from 'node:crypto';
import type * as z from 'zod';
import { KeywardenError } from '../../core/errors';
import { parseKey } from '../../core/key-format';
import { redactKeys } from '../../core/redact-keys';
import type { Services } from '../../services-core';
import { HttpError } from '../errors';
import type { RequestContext } from '../request-context';
import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { SECRET_SCANNING_CONTRACT, type ReportedTokenSchema, type TokenFeedbackSchema } from './secret-scanning.contract';

type ReportedToken = z.output<typeof ReportedTokenSchema>;
type TokenFeedback = z.output<typeof TokenFeedbackSchema>;

/** Where a report's match is recorded when its `url` is no http(s) URL we can show. */
export const UNKNOWN_GITHUB_LOCATION = 'GitHub secret scanning (the report named no usable URL)';

/** GitHub's reports are at most 1 MB. */
export const MAX_REPORT_BYTES = 1_048_576;

/** A base64 DER ECDSA P-256 signature is about 96 characters; nothing else is worth verifying. */
const SIGNATURE = /^[A-Za-z0-9+/]{16,400}={0,2}$/;

/**
 * POST /v1/secret-scanning/github: GitHub's secret scanning partner program. GitHub finds our key
 * format in public repositories (and gists, issues, npm packages) and posts the matches here.
 *
 * Nothing is looked up or changed before the signature holds (the router has only checked the
 * body's size and shape, which needs no storage and says nothing back): GitHub signs the raw body
 * with ECDSA P-256 / SHA-256 under a key it publishes (GITHUB_SECRET_SCANNING_KEYS_URL, fetched
 * and cached by the adapter, adapters/github-keys.ts). The signature covers the exact bytes GitHub
 * sent; the edge hands the body over as text decoded as UTF-8 (a base64-encoded Lambda body is
 * decoded first, lambda-adapter.ts), and GitHub's JSON is UTF-8, so encoding it again gives those
 * bytes back. A body that was not valid UTF-8 would not survive the round trip — and fails the
 * signature, which is the safe way round.
 *
 * Each match: the format and checksum first, offline (most look-alikes end there, with no
 * storage read), then the exposure pipeline (KeyService.exposed): a key of this environment is
 * marked exposed, audited once and stopped within this request; reported again, nothing more
 * changes. The answer is GitHub's feedback, in the report's order.
 */
export const secretScanningRoutes: Route[] = [
  defineRoute(SECRET_SCANNING_CONTRACT.reportGithubSecrets, async (ctx) => {
    // GitHub's bound, kept even where MAX_BODY_BYTES is raised for other routes.
    if (Buffer.byteLength(ctx.req.body ?? '') > MAX_REPORT_BYTES) {
      throw new HttpError(413, 'invalid_request_error', `A secret scanning report is at most ${MAX_REPORT_BYTES} bytes.`);
    }
    await requireGithubSignature(ctx);
    const feedback: TokenFeedback[] = [];
    const exposedKeyIds: string[] = [];
    for (const match of ctx.input.body) {
      const outcome = await triage(ctx.services, match);
      feedback.push(outcome.feedback);
      if (outcome.keyId) exposedKeyIds.push(outcome.keyId);
    }
    // Key ids and counts only: neither a true positive's value nor a look-alike is ever logged.
    ctx.logger.info('github secret scanning report', { tokens: feedback.length, truePositives: exposedKeyIds.length, keyIds: exposedKeyIds });
    return json(200, feedback);
  }),
];

/** 401 for an unsigned report, a signature that does not verify, or a key GitHub does not publish. */
async function requireGithubSignature(ctx: RequestContext): Promise<void> {
  const identifier = ctx.req.headers['github-public-key-identifier'];
  const signature = ctx.req.headers['github-public-key-signature'];
  if (!identifier || !signature) {
    throw new KeywardenError('invalid_api_key', 'This report is not signed: GitHub sends Github-Public-Key-Identifier and Github-Public-Key-Signature.');
  }
  if (identifier.length > 200 || !SIGNATURE.test(signature)) throw forged();
  const pem = await ctx.services.githubKeys.publicKey(identifier);
  if (pem === undefined) {
    throw new KeywardenError('invalid_api_key', 'This report is signed with a key GitHub does not publish (Github-Public-Key-Identifier).');
  }
  if (!verifies(Buffer.from(ctx.req.body ?? '', 'utf8'), pem, signature)) throw forged();
}

function verifies(body: Buffer, pem: string, signature: string): boolean {
  try {
    // EC keys: the signature is DER (node's default dsaEncoding), as GitHub sends it.
    return verify('sha256', body, pem, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

function forged(): KeywardenError {
  return new KeywardenError('invalid_api_key', 'This report’s signature does not verify (Github-Public-Key-Signature over the raw body).');
}

/** One match: GitHub's label for it and, when it was a key of ours, the key's id (for the log). */
async function triage(services: Services, match: ReportedToken): Promise<{ feedback: TokenFeedback; keyId?: string }> {
  const falsePositive = { feedback: { token_raw: match.token, token_type: match.type, label: 'false_positive' as const } };
  if (!parseKey(match.token).ok) return falsePositive;
  const outcome = await services.keys.exposed(match.token, { source: 'github', location: locationOf(match) });
  if (!outcome) return falsePositive;
  // GitHub takes a true positive by its SHA-256: the key itself goes back nowhere.
  const tokenHash = createHash('sha256').update(match.token).digest('hex');
  return { feedback: { token_hash: tokenHash, token_type: match.type, label: 'true_positive' }, keyId: outcome.key.id };
}

/**
 * Where the key was found, as admins read it in the audit trail: the report's URL when it is an
 * http(s) URL, without credentials and with no key in it (the core cuts it to its bound); else a
 * fixed text. GitHub's URL is the report's, signed but not ours, so it is shown, never followed.
 */
export function locationOf(match: Pick<ReportedToken, 'url' | 'token'>): string {
  let url: URL;
  try {
    url = new URL(match.url);
  } catch {
    return UNKNOWN_GITHUB_LOCATION;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return UNKNOWN_GITHUB_LOCATION;
  url.username = '';
  url.password = '';
  const href = url.href;
  if (href.includes(match.token) || redactKeys(href) !== href) return UNKNOWN_GITHUB_LOCATION;
  return href;
}
