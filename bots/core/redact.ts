import { KEY_IN_TEXT_PATTERN } from '../../lambdas/core/key-format';

/**
 * Edges run every message except the private new-key delivery through `redactKeys`, so nothing
 * the bot says in a channel — a model's answer that echoes a pasted key included — can carry a key.
 */
export { redactKeys } from '../../lambdas/core/key-format';

/** True when the text carries something shaped like a key (checksum or not): don't forward it to a model. */
export function looksLikeKey(text: string): boolean {
  return new RegExp(KEY_IN_TEXT_PATTERN.source).test(text);
}
