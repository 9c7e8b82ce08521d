/**
 * Keywarden's shared bot conversation core (SPEC §5). Platform edges (bots/slack, bots/teams) stay
 * thin: they verify the platform request, turn it into (text, identity), call the core, and render
 * the `Reply` it returns. The core never sees a platform SDK and never reaches into the store: it is
 * a client of /v1 over HTTP with the bot's viewer key.
 *
 * Wiring (once per process / warm Lambda):
 *
 *   const client = new KeywardenClient({ baseUrl, viewerKey, assertionSecret, bot: 'teams' });
 *   const conversation = new Conversation({ client });
 *
 * Entry points (all return `Promise<Reply>` unless noted; `identity` is a platform identity such as
 * `slack:T…:U…` / `teams:<tenant>:<aadObjectId>` taken from the VERIFIED platform request;
 * `delivery` is the edge's PrivateDelivery for that person, see private-delivery.ts; its `channel`,
 * where they spoke as the verified request names it (request-channel.ts), bounds their key requests):
 *
 *   conversation.command(text, identity, delivery)   an explicit command line ("list ci", "rotate ci --overlap 1h", "limit ci 100/1m", "budget ci 20/month")
 *   conversation.message(text, identity, delivery)   a mention or DM: a command if it starts with a command word,
 *                                           else a chat answered through POST /v1/responses
 *   conversation.submitCreate(fields, identity, delivery)  the `create_form` came back (RawCreateFields, strings)
 *   conversation.confirm(action, identity, delivery)  a button was clicked; `action` = decodeAction(button value),
 *                                           identity = the CLICKER (never taken from the value)
 *   conversation.cancel(identity)           a confirmation's cancel button was clicked
 *   conversation.budgetForm(keyId, identity) a budget alert's `Raise budget…`: the key for a new-budget form, admins only
 *                                           (budget-alerts.ts: the alerts themselves, claimed once per threshold and period)
 *   conversation.scanForLeaks(text, poster, location) → LeakFinding[]  leak guard for channel text (leak-guard.ts):
 *                                           live keys revoked at once (POST /v1/bots/leaks, `location` = the message's link),
 *                                           with replies for the poster and each admin
 *   conversation.exposureButton(button, identity)  an exposure notice's Show usage / Create replacement
 *                                           (exposure-notices.ts: the notices themselves, claimed once per key and admin)
 *   conversation.chat(text), .isCommand(text), .resolve(ref) (`<key>` → one key, key-resolver.ts)
 *
 * Failure replies (failure-replies.ts): `apiFailure` / `chatFailure` turn an API error into words.
 *
 * Rendering contract (see `Reply` in replies.ts):
 *   - a new key never comes back as a reply: the core hands `new_key` (raw key, setup script) to
 *     `delivery` and answers `key_delivered` (the key's start only). An edge's delivery sends it
 *     ONLY privately (Slack ephemeral / DM; Teams 1:1 chat) and never logs it.
 *   - `confirm` / `leak_alert.revoke` (only when the pipeline could not be asked) carry a `PendingAction`: put `encodeAction(action)` in the button
 *     value; nothing changes until the click comes back through `confirm`.
 *   - pass every other outgoing text through `redactKeys` (defence in depth).
 *
 * Pure helpers: `parseCommand` (grammar, did-you-mean), `validateCreateOptions`, `parseRateLimit` / `formatRateLimit`, `parseBudgetWord`, `HELP`,
 * `slackIdentity` / `teamsIdentity`, `slackChannel` / `teamsChannel` (the channel a request comes from, request-channel.ts), `keyLine` / `lastUsedText` / `statusWord` (disabled → paused) / `rateLimitText`, `redactKeys`, `findKeysInText` (keys as a reader sees them: the leak guard's offline test).
 */
export type { ApiAuditRecord, ApiKey, BotName } from './api-types';
export { KeywardenClient, outputText, type AdminAction, type KeywardenClientOptions } from './keywarden-client';
export {
  ADMIN_COMMANDS,
  COMMAND_NAMES,
  HELP,
  commandWord,
  editDistance,
  formatRateLimit,
  isCommandName,
  parseBudgetWord,
  parseRateLimit,
  parseCommand,
  suggestCommand,
  tokenize,
  usage,
  validateCreateOptions,
  type Command,
  type CommandName,
  type CreateOptions,
  type HelpEntry,
  type ParseResult,
  type RateLimit,
  type RawCreateFields,
} from './command-grammar';
export { Conversation, MAX_CHAT_CHARS, type ConversationOptions } from './conversation';
export { apiFailure, chatFailure } from './failure-replies';
export { slackIdentity, teamsIdentity, isIdentity, parseIdentity, type ParsedIdentity } from './identity';
export { DIRECT_MESSAGES, isDirectMessages, slackChannel, slackRequestChannel, teamsChannel } from './request-channel';
export { budgetShareText, budgetSpentText, budgetText, countText, creditsText, keyLine, lastUsedText, rateLimitText, relativeTime, startPreview, statusWord, usageText } from './key-text';
export type { LeakFinding } from './leak-guard';
export { CONFIRM_BUTTON, CONFIRM_QUESTION, CONFIRMATION_TTL_S, decodeAction, encodeAction, isStale, type PendingAction } from './pending-action';
export type { PrivateChannel, PrivateDelivery } from './private-delivery';
export { findKeysInText, looksLikeKey } from '../../lambdas/core/key-scan';
export { redactKeys } from '../../lambdas/core/redact-keys';
export {
  errorReply,
  text,
  type DoneAction,
  type ErrorReply,
  type KeyChange,
  type KeyDeliveredReply,
  type LeakAlertReply,
  type NewKeyReply,
  type ReplacedKey,
  type Reply,
  type ReplyErrorCode,
  type UsageRow,
} from './replies';
