import { refusedPolicy } from '../../lambdas/core/account-policy-gate';
import { ASSERTION_HEADER } from '../../lambdas/core/actor-assertion';
import type { ApiError } from './api-types';
import { redactKeys } from '../../lambdas/core/redact-keys';
import { errorReply, type ErrorReply, type Reply } from './replies';

/**
 * What a chat user is told when /v1 says no: one reply per API error code, in words they can act
 * on. Every message the API wrote passes through `redactKeys` before it is said.
 */

const NOT_ADMIN =
  'Sorry, only admins of this project can create, rotate, revoke, delete, pause, resume or limit keys. Ask a project admin, or an operator to register you (`whoami` shows your identity).';

/** The person is not an admin of the project (the API has said so, and audited it). */
export function notAdmin(): ErrorReply {
  return errorReply('not_admin', NOT_ADMIN);
}

/**
 * The account's policy refused the key (`403`, `param: policy.<name>`): the person is an admin,
 * the key asked for is what the policy forbids. Said with the policy's name and what it allows,
 * and the way that remains (a request, for a privileged key that needs approval).
 */
export function policyRefusal(policy: string, message: string): ErrorReply {
  const next =
    policy === 'privilegedRequiresApproval'
      ? ' Ask for it with `request <name> --type privileged --reason "…"`; an admin approves it.'
      : ' Ask again within it, or ask an operator to change the account policy.';
  // The API's message names the policy ("Account policy <name>: …"); a message without it still says which.
  const named = message.includes(policy) ? message : `Account policy ${policy}: ${message}`;
  return errorReply('refused', `Refused. ${named}${next}`);
}

/**
 * The request goes beyond its channel's ceiling (`403`, `param: channel`; issue 25 point 1): not
 * about who asks or approves, but what was asked where. The API's message names every axis.
 */
function beyondChannelCeiling(error: ApiError): boolean {
  return error.code === 'insufficient_permissions' && error.param === 'channel';
}

/** An API failure on a command, as words a chat user can act on. */
export function apiFailure(error: ApiError): ErrorReply {
  const message = redactKeys(error.message);
  const policy = refusedPolicy(error);
  if (policy) return policyRefusal(policy, message);
  if (beyondChannelCeiling(error)) return errorReply('refused', `Refused. ${message}`);
  switch (error.code) {
    case 'insufficient_permissions':
      return errorReply('not_admin', `Keywarden refused: ${message}`);
    case 'api_access_disabled':
      return errorReply('api_access_disabled', 'API access is not enabled for this account, so keys cannot be created. An operator can turn it on.');
    case 'not_found':
    case 'model_not_found':
      return errorReply('not_found', message);
    case 'protected_key':
    case 'last_admin_key':
    case 'conflict':
      return errorReply('refused', message);
    case 'invalid_request_error':
      return errorReply('invalid_command', message);
    case 'rate_limit_exceeded':
      return errorReply('rate_limited', `Keywarden is rate-limiting the bot; try again in ${error.retryAfterSeconds ?? 60} s.`, error.retryAfterSeconds ?? 60);
    case 'unreachable':
    case 'service_unavailable':
      return errorReply('unavailable', `${message} Try again shortly.`, error.retryAfterSeconds);
    default:
      return errorReply('api_error', `Keywarden answered with an error (${error.code}): ${message}`);
  }
}

/**
 * A refused key-changing call. It carried the person's assertion, so `insufficient_permissions`
 * means the person is not an admin (the API has audited it) — unless the assertion itself is
 * what the API refused (`param: X-Keywarden-Actor`), which is the bot's fault, not theirs, the
 * account's policy refused the key (`param: policy.<name>`), or the request's channel ceiling did
 * (`param: channel`, an approval beyond it).
 */
export function actionFailure(error: ApiError): ErrorReply {
  const aboutAssertion = error.param?.toLowerCase() === ASSERTION_HEADER;
  // A policy's refusal is not about the person: apiFailure names the policy.
  return error.code === 'insufficient_permissions' && !aboutAssertion && !refusedPolicy(error) && !beyondChannelCeiling(error) ? notAdmin() : apiFailure(error);
}

/** A chat failure, said plainly (SPEC §5: out of credits, rate-limited, API access off). */
export function chatFailure(error: ApiError): Reply {
  switch (error.code) {
    case 'insufficient_quota':
      return errorReply('out_of_credits', 'Sorry, I can’t answer right now: the account is out of credits. An admin can add credits.');
    case 'rate_limit_exceeded': {
      const wait = error.retryAfterSeconds ?? 60;
      return errorReply('rate_limited', `I’m being rate-limited; try again in ${wait} s.`, wait);
    }
    case 'api_access_disabled':
      return errorReply('api_access_disabled', 'I can’t answer: API access is not enabled for this account.');
    case 'service_unavailable':
    case 'upstream_error':
    case 'upstream_timeout':
    case 'unreachable':
      return errorReply('unavailable', 'The model is not available right now; try again in a moment.', error.retryAfterSeconds);
    default:
      return apiFailure(error);
  }
}
