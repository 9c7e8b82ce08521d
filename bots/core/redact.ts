import { KEY_IN_TEXT_PATTERN, parseKey, startOf } from '../../lambdas/core/key-format';

/**
 * Replaces every well-formed key in outgoing text with its non-secret start (`archie_4fQa…`).
 * Edges run every message except the private new-key delivery through this, so nothing the bot
 * says in a channel — a model's answer that echoes a pasted key included — can carry a key value.
 */
export function redactKeys(text: string): string {
  return text.replace(KEY_IN_TEXT_PATTERN, (candidate) => (parseKey(candidate).ok ? `${startOf(candidate)}…` : candidate));
}

/** True when the text carries something shaped like a key (checksum or not): don't forward it to a model. */
export function looksLikeKey(text: string): boolean {
  return new RegExp(KEY_IN_TEXT_PATTERN.source).test(text);
}
