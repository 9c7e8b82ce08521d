import { redactKeys } from '../../lambdas/core/redact-keys';
import { HELP, usage, type ParseResult } from './command-grammar';
import { errorReply, type Reply } from './replies';

/**
 * What a person is told when their words are no command (conversation.ts): help for nothing said,
 * "did you mean" for a near miss, the command's usage for wrong arguments. The word they typed is
 * repeated only with any key in it redacted.
 */
export function parseFailureReply(parsed: Extract<ParseResult, { ok: false }>): Reply {
  switch (parsed.reason) {
    case 'empty':
      return { kind: 'help', entries: HELP };
    case 'unknown_command':
      return errorReply(
        'unknown_command',
        parsed.suggestion
          ? `I don’t know “${redactKeys(parsed.word)}”. Did you mean \`${parsed.suggestion}\`?`
          : `I don’t know “${redactKeys(parsed.word)}”. Say \`help\` for the commands.`,
      );
    case 'invalid':
      return errorReply('invalid_command', `${parsed.message} (usage: \`${usage(parsed.command)}\`)`);
  }
}
